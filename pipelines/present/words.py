"""The sentences people read about hidden groups and survey/evidence agreement, made from the
query layer's codes (``scores.Suppression``, ``evidence.Verdict``) and the real k.

Pages, the pack, charts and the command line ask here; none of them writes these words or
compares them as values.
"""
from __future__ import annotations

from enum import Enum

from pipelines.programme.factors import label as factor_label
from pipelines.query.evidence import INDICATORS_BY_NAME, MIN_RANKED, Verdict
from pipelines.query.scores import Suppression


class Form(Enum):
    """Where a reason is said, so how long it may be."""
    SENTENCE = "sentence"  # in running text: "Pipwell Ecology: fewer than 5 responses"
    NOTE = "note"          # a pack note after the group's name
    CELL = "cell"          # a table cell in place of the numbers
    MARK = "mark"          # a heatmap cell under "not shown"
    COUNT = "count"        # in place of a respondent count


_REASONS: dict[Suppression, dict[Form, str]] = {
    Suppression.SMALL_GROUP: {
        Form.SENTENCE: "fewer than {k} responses",
        Form.NOTE: "fewer than {k} responses \u2014 not shown",
        Form.CELL: "not shown: fewer than {k} responses",
        Form.MARK: "< {k} responses",
        Form.COUNT: "< {k}",
    },
    Suppression.COMPLEMENT: {
        Form.SENTENCE: "hidden so a smaller group cannot be worked out by subtraction",
        Form.NOTE: "not shown, so a smaller group cannot be worked out by subtraction",
        Form.CELL: "not shown: protects a smaller group",
        Form.MARK: "protects a group",
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
    """What ``evidence.agreement`` found for one partner x factor (a row with verdict,
    factor, survey_rank, evidence_rank, ranked, contrary, suppression_reason), in words."""
    verdict = Verdict(row["verdict"])
    if verdict is Verdict.HIDDEN:
        return f"No survey score to compare: {reason(row['suppression_reason'], k)}"
    if verdict is Verdict.NO_SURVEY:
        return "No survey responses for this factor in this wave"
    if verdict is Verdict.NO_EVIDENCE:
        return "No delivery or issue data for this factor in this wave"
    if verdict is Verdict.TOO_FEW:
        return f"Too few partners with both a survey score and evidence to compare (need {MIN_RANKED})"
    said = f"(rank {int(row['survey_rank'])} of {int(row['ranked'])})"
    shown = f"(rank {int(row['evidence_rank'])} of {int(row['ranked'])})"
    if verdict is Verdict.AGREES:
        return f"Survey {said} and evidence {shown} do not markedly disagree"
    indicator = INDICATORS_BY_NAME[row["contrary"]]
    factor = factor_label(row["factor"]).lower()
    if verdict is Verdict.SAYS_STRONG:
        return f"Says strong {factor} {said} but {indicator.weak} {shown}"
    return f"Says weak {factor} {said} but {indicator.strong} {shown}"
