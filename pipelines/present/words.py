"""The sentences people read about hidden groups and survey/evidence agreement, made from the
query layer's codes (``scores.Suppression``, ``evidence.Status``) and the real k.

Pages, the pack, charts and the command line ask here; none of them writes these words or
compares them as values.
"""
from __future__ import annotations

from enum import Enum

from pipelines.query.evidence import Status
from pipelines.query.significance import FDR_Q
from pipelines.query.scores import Suppression


# what "beyond noise" (scores.changes' beyond_uncertainty, the alerts) rests on, for captions and notes
BEYOND_NOISE = (f"the change passes Welch's t-test on the two waves' responses, with the false "
                f"discovery rate held to {FDR_Q:.0%} over every change into the wave (METHOD.md)")


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
        Form.MARK: "protects",
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
