"""The sentences people read about hidden groups, changes, survey/evidence agreement, participation,
comments and agreed actions, made from the query layer's codes (``scores.Suppression``,
``between_waves.NoChange``, ``evidence.Status``, ``programme.actions.Status``) and the real k.

Pages, the pack, charts and the command line ask here; none of them writes these words or
compares them as values.
"""
from __future__ import annotations

from enum import Enum

import pandas as pd

from pipelines.programme.actions import Status as ActionStatus
from pipelines.query import evidence, whatif
from pipelines.query.between_waves import NoChange
from pipelines.query.evidence import Status
from pipelines.query.scores import Suppression
from pipelines.query.significance import FDR_Q

# what "beyond noise" (scores.changes' beyond_uncertainty, the alerts) rests on, for captions and notes
BEYOND_NOISE = (f"the change is larger than chance would likely make between two waves' answers "
                f"(Welch's t-test on the two waves' responses, with the false discovery rate held to "
                f"{FDR_Q:.0%} over every change into the wave)")


class Form(Enum):
    """Where a reason is said, so how long it may be."""
    SENTENCE = "sentence"  # in running text: "Pipwell Ecology: fewer than 5 responses"
    NOTE = "note"          # a pack note after the group's name
    CELL = "cell"          # a table cell in place of the numbers
    MARK = "mark"          # under a heatmap cell's ✕ (charts.hidden_marks says what it means)
    COUNT = "count"        # in place of a respondent count


_REASONS: dict[Suppression, dict[Form, str]] = {
    Suppression.SMALL_GROUP: {
        Form.SENTENCE: "fewer than {k} responses",
        Form.NOTE: "fewer than {k} responses \u2014 not shown",
        Form.CELL: "not shown: fewer than {k} responses",
        Form.MARK: "n < {k}",
        Form.COUNT: "< {k}",
    },
    Suppression.COMPLEMENT: {
        Form.SENTENCE: "hidden so a smaller group cannot be worked out by subtraction",
        Form.NOTE: "not shown, so a smaller group cannot be worked out by subtraction",
        Form.CELL: "not shown: protects a smaller group",
        Form.MARK: "protected",
        Form.COUNT: "protected",
    },
}


def code(value) -> Suppression | None:
    """The suppression code of a frame's value (a code, or its text), None for anything else."""
    try:
        return Suppression(value)
    except ValueError:
        return None


def reason(value, k: int, form: Form = Form.SENTENCE) -> str:
    """Why a group is not shown, in ``form``, with the real ``k``. ``value`` is a
    ``Suppression`` code; any other text (a reason the query layer wrote itself, such as
    what-if's "no survey responses in 2026-Q3") is returned as it is."""
    found = code(value)
    if found is None:
        return "" if value is None else str(value)
    return _REASONS[found][form].format(k=int(k))


def either_reason(k: int) -> str:
    """Both reasons a group may be hidden, for a legend or a caption."""
    return f"{reason(Suppression.SMALL_GROUP, k)}, or {reason(Suppression.COMPLEMENT, k)}"


def agreement_note(row, k: int) -> str:
    """What ``evidence.agreement`` found for one partner x factor, in words: the method's own
    ``note``, or for a hidden survey group why it is hidden (from its code, with the real k)."""
    if Status(row["status"]) is Status.SURVEY_HIDDEN:
        return f"No survey score to compare: {reason(row['suppression_reason'], k)}"
    return str(row["note"])


def evidence_window(indicator: evidence.Indicator, row, wave: str) -> str:
    """The waves a Partner-profile evidence figure covers (``evidence.pooled``'s window; the
    ageing backlog, a stock, at the wave's end)."""
    if indicator.test is None:
        return f"end of {wave}"
    if pd.isna(row["periods"]):
        return wave
    return evidence.span(row["evidence_from"], wave, int(row["periods"]))


def too_few(indicator: evidence.Indicator, count: int) -> bool:
    """A pooled figure under ``evidence.MIN_EVENTS``: shown, but too few to compare."""
    return indicator.test is not None and count < evidence.MIN_EVENTS


def evidence_counts(indicator: evidence.Indicator, row, wave: str) -> str:
    """What a Partner-profile evidence figure counts, in the words of ``agreement_note``: its
    n and window ("18 issues raised in 2026-Q1 to 2026-Q3"), too few to compare under
    ``evidence.MIN_EVENTS``."""
    count = 0 if pd.isna(row["count"]) else int(row["count"])
    if indicator.test is None:
        return f"At the {evidence_window(indicator, row, wave)}, against {count} {indicator.basis}"
    said = f"{count} {indicator.basis} in {evidence_window(indicator, row, wave)}"
    return f"{said}: too few to compare (needs {evidence.MIN_EVENTS})" if too_few(indicator, count) else said


def evidence_n(indicator: evidence.Indicator, row) -> str:
    """The evidence slide's short "Based on" cell: n and how many waves ("15 in 2 waves"), starred
    under ``evidence.MIN_EVENTS`` (``EVIDENCE_N`` says what the star means)."""
    count = 0 if pd.isna(row["count"]) else int(row["count"])
    if indicator.test is None:
        return f"{count} due in year"
    waves = 1 if pd.isna(row["periods"]) else int(row["periods"])
    return f"{count} in {waves} wave{'s' if waves != 1 else ''}{'*' if too_few(indicator, count) else ''}"


EVIDENCE_N = (f"Based on: the milestones or issues counted, over the waves pooled up to the wave (until "
              f"{evidence.MIN_EVENTS}, at most {evidence.MAX_POOLED}); *: too few to compare.")


# -- a change since the previous wave (tooltips, tables, the movers) ------------------------

_NO_CHANGE = {  # why a change is missing (``between_waves.NoChange``), after "no change: "
    NoChange.FIRST_WAVE: "no earlier wave",
    NoChange.PREVIOUS_HIDDEN: "{previous} not shown",
    NoChange.PREVIOUS_NO_RESPONSES: "no responses in {previous}",
}


def change(value, why, wave: str, previous: str | None, form: Form = Form.CELL) -> str:
    """A change since the previous wave (``scores.changes``' change and no_change of a row): signed,
    one decimal; where there is none, why, in ``form``: CELL in a tooltip or a table ('none: 2026-Q2
    not shown'), MARK on a movers bar ('no change: no responses in 2026-Q2'), NOTE after the group's
    name ('shown in 2026-Q3; no change, 2026-Q2 not shown'). A hidden group says only that."""
    if value is not None and not pd.isna(value):
        return f"{float(value):+.1f}"
    why = NoChange(why)
    if why is NoChange.HIDDEN:
        return "not shown"
    said = _NO_CHANGE[why].format(previous=previous)
    return {Form.CELL: f"none: {said}", Form.MARK: f"no change: {said}",
            Form.NOTE: f"shown in {wave}; no change, {said}"}[form]


# -- participation, comments, agreed actions (#25) ----------------------------------------

def rate(value) -> str:
    """A participation rate (0-1) as people read it: '56%'; '' when not given."""
    return "" if value is None or pd.isna(value) else f"{float(value):.0%}"


def low_participation(partner: str, wave: str, shown_rate, invited, warning: float) -> str:
    """Why a partner's scores in a wave rest on few of its people (its rate is under the
    ``participation_warning`` setting); ``shown_rate`` is None when only "fewer than k" is known."""
    said = f"{rate(shown_rate)} of the {int(invited)} invited" if shown_rate is not None else \
        f"under {warning:.0%} of the {int(invited)} invited"
    return (f"{partner}: {said} answered in {wave}, below the {warning:.0%} the programme asks for; "
            "its scores rest on few of its people.")


def more_than_invited(partner: str, wave: str, respondents: int, invited: int) -> str:
    """A rate capped at 100%: more people answered than the headcount list says were invited."""
    return (f"{partner}: {respondents} answered in {wave}, more than the {invited} invited on the headcount "
            "list, so its rate shows 100%. The list is out of date: load the current one on the Data page.")


def rate_cell(value, below, warning: float) -> str:
    """A rate in a table, flagged when under the warning: '56% (below 60%)'; 'below 70%' when only
    "fewer than k" is known and even k - 1 would be under it; an em dash when nothing is known."""
    flag = f"below {warning:.0%}" if below is True else ""
    shown = rate(value)
    if shown and flag:
        return f"{shown} ({flag})"
    return shown or flag or "\u2014"


def no_headcount(pinned: bool) -> str:
    """Why invited and response rate are blank (an em dash) everywhere: no headcount list is loaded
    (at the pinned data version, or at all)."""
    if pinned:
        return ("No headcount list had been loaded at this data version, so invited and response rate "
                "are blank (\u2014); Latest data has them once it is loaded.")
    return ("No headcount list is loaded yet, so invited and response rate are blank (\u2014): load it on "
            "the Data page.")


# the freshness table's column (``query.freshness``: a planned or future date is not freshness), and its
# cell for rows that record no event (partners, headcount, instrument; a plan with nothing completed)
LATEST_EVENT = "Latest event recorded"
LATEST_EVENT_HELP = ("The newest date by today on which something in the data happened: a survey wave's start, "
                     "a milestone completed, an issue raised or resolved. Planned and forecast dates do not count.")
NO_DATES = "no dates"  # short, so the table fits 1024 px


def comments_withheld(partner: str, wave: str, k: int, beside_small: bool = False, scores_k: int = 5) -> str:
    """Why a partner's comments for a wave are not shown: too few answered (``k``: comment_k), or its
    scores are hidden beside a smaller group (then how many wrote would give its respondents away)."""
    if beside_small:
        return (f"{partner}'s comments for {wave} are not shown: like its scores, they are "
                f"{reason(Suppression.COMPLEMENT, scores_k)} (how many wrote would say how many answered).")
    return (f"{partner}'s comments for {wave} are not shown: fewer than {int(k)} of its people answered, "
            "so a comment could point to who wrote it.")


COMMENTS_ORDER = ("Shown as written, with emails, phone numbers, web addresses and respondents' names "
                  "taken out; never with who wrote them or when, in an order that stays the same.")


def action_status(status, overdue: bool, due, closed) -> str:
    """An agreed action's state: 'open, due 2026-06-30', 'overdue since 2026-06-30', 'done 2025-09-10'."""
    if ActionStatus(status) is ActionStatus.DONE:
        return f"done {_day(closed)}"
    return f"overdue since {_day(due)}" if overdue else f"open, due {_day(due)}"


def action_moved(row, k: int) -> str:
    """What the action's factor did after it (a row of ``query.actions.board``): for a closed
    action its change over the next wave, for an open one its latest shown score."""
    if ActionStatus(row["status"]) is ActionStatus.DONE:
        if pd.isna(row["wave_closed"]):
            return "closed before the first wave"
        if pd.isna(row["next_wave"]):
            return f"closed in {row['wave_closed']}: no wave after it yet"
        if pd.isna(row["change"]):
            return f"{row['wave_closed']} \u2192 {row['next_wave']}: not shown ({either_reason(k)})"
        beyond = "beyond noise" if not pd.isna(row["beyond_uncertainty"]) and bool(row["beyond_uncertainty"]) \
            else "within noise"
        return f"{float(row['change']):+.1f} from {row['wave_closed']} to {row['next_wave']} ({beyond})"
    if pd.isna(row["score"]):
        return "no score shown yet"
    return f"now {float(row['score']):.1f} ({row['score_wave']})"


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


# -- What-if (#23) -------------------------------------------------------------------------

def band(code: str | None) -> str:
    """A band as a label, a table cell or a metric says it: "Collaborating" (``factors.BANDS``' code in
    a running sentence stays lower case)."""
    return "" if code is None else str(code).capitalize()


def band_with_reach(code: str, reach: tuple[str, str] | None) -> str:
    """A what-if index's band (its score's, ``factors.band_of``, as on every page), then the other
    bands its 95% interval reaches: "Collaborating; its 95% interval reaches into Transitioning"."""
    others = [band(b) for b in dict.fromkeys(reach or ()) if b != code]
    said = band(code)
    return f"{said}; its 95% interval reaches into {' and '.join(others)}" if others else said


def index_change(projected: float, now: float, reweighted: bool) -> str:
    """A projected index's delta against now: short, so a metric shows it whole at 1024 px;
    with changed weights now is not given there (``reweighted_now`` says it beside)."""
    if round(projected, 1) == round(now, 1):
        return "no change"
    return f"{projected - now:+.1f} vs now" + ("" if reweighted else f" ({now:.1f})")


def reweighted_now(now: float, programme_now: float, strip: bool = True) -> str:
    """Under the projected index when the weights are changed: now, and every place on the ``strip``
    (the page's), is re-weighted (``programme_now``: the index every other page and slide shows)."""
    return (f"Now, with these weights: {now:.1f} ({programme_now:.1f} with the programme's weights)."
            + (" The strip places every partner by its index with these weights." if strip else ""))


def last_period(wave: str | None) -> str:
    """The what-if's column of each indicator's latest observed value (one period, as the model
    forecasts): the period named when every indicator's is the same ``wave``."""
    return f"{wave} alone" if wave else "Last period alone"


def last_period_note(column: str) -> str:
    """Under the what-if's delivery table: what its latest-observed column is, against the profile."""
    return (f"{column}: the partner's latest period with a value, on its own, since the model forecasts one "
            f"period at a time. The Partner profile's evidence cards pool periods back from the wave until "
            f"they rest on {evidence.MIN_EVENTS} milestones or issues (at most {evidence.MAX_POOLED} periods), "
            f"so their figures can differ.")


# the what-if's "How much to trust it", in plain words (the rule: whatif.HeldBack.beats_naive, METHOD.md 8)
TRUST_TERMS = ("Held-back check: each later wave was forecast from the waves before it, by the model and by a "
               "naive forecast, and their mean errors compared. A naive forecast is the simplest guess made "
               "without the model: the partner's latest value, its own average so far or the programme's "
               "average, whichever came closest. One-sided p is how often chance alone would give the model an "
               "advantage this large if it were really no better; a projection is shown only when it is below "
               f"{whatif.BEATS_NAIVE_P:g} over at least {whatif.MIN_HELD_BACK} forecasts.")
