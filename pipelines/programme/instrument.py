"""The product's default survey instrument, in its own wording.

Four statements per factor, rated on a 5-point agreement scale (1 = strongly disagree,
5 = strongly agree). Each factor has one reverse-scored statement (the fourth): one where
agreeing describes partners that merely cooperate (each minding its own part) rather
than collaborate, so a respondent who agrees with everything does not look like a
perfect partnership.

Every statement has one referent and one idea: it is about the partner organisations of
the programme ("the partners", "each partner", "partners"), never "I", "we" or "my
organisation" beside them, and it asks one thing (no "and"/"or" joining two ideas), so an
answer means one thing. ``query/reliability.py`` checks that each factor's statements hang
together (Cronbach's alpha per wave).

``default_instrument_frame()`` gives the canonical fields (as ``fields.DATASETS
["instrument"]`` names them); ``default_instrument_csv()`` gives the same items in the
shape of the instrument template a programme fills in to upload its own.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import pandas as pd

from pipelines.programme.factors import FACTORS

SCALE_MIN = 1
SCALE_MAX = 5


@dataclass(frozen=True)
class InstrumentItem:
    item_id: str
    text: str
    factor: str
    reverse_scored: bool = False


DEFAULT_INSTRUMENT: tuple[InstrumentItem, ...] = (
    # Shared goals: goals worked out together, not assumed; the programme's outcome first.
    InstrumentItem("SG1", "The partners agreed the programme's objectives together.",
                   "shared_goals"),
    InstrumentItem("SG2", "The partners judge success by the outcome of the whole programme.",
                   "shared_goals"),
    InstrumentItem("SG3", "When priorities conflict, the partners choose what is best for the "
                   "programme.", "shared_goals"),
    InstrumentItem("SG4", "Each partner puts its own targets ahead of the programme's objectives.",
                   "shared_goals", reverse_scored=True),
    # Joint governance: agreed ways of deciding, with a voice for every partner.
    InstrumentItem("JG1", "The partners take decisions that affect several of them in a joint "
                   "forum.", "joint_governance"),
    InstrumentItem("JG2", "The partners follow an agreed process when they disagree over a "
                   "decision.", "joint_governance"),
    InstrumentItem("JG3", "The smaller partners have a real say in programme decisions.",
                   "joint_governance"),
    InstrumentItem("JG4", "Partners learn of decisions that change their work only after those "
                   "decisions are made.", "joint_governance", reverse_scored=True),
    # Psychological safety: safe to admit a mistake, to challenge, to raise a problem early.
    InstrumentItem("PS1", "The partners admit their mistakes to one another without fear of "
                   "blame.", "psychological_safety"),
    InstrumentItem("PS2", "The partners can challenge each other's plans without fear of "
                   "repercussions.", "psychological_safety"),
    InstrumentItem("PS3", "The partners raise a problem before they know how to solve it.",
                   "psychological_safety"),
    InstrumentItem("PS4", "The partners keep bad news from each other for as long as they can.",
                   "psychological_safety", reverse_scored=True),
    # Open communication: honest dialogue, not only reporting.
    InstrumentItem("OC1", "Conversations between the partners cover what is going wrong, not "
                   "only progress.", "open_communication"),
    InstrumentItem("OC2", "The partners tell each other directly when something is causing them "
                   "difficulty.", "open_communication"),
    InstrumentItem("OC3", "The partners share information with each other without being asked.",
                   "open_communication"),
    InstrumentItem("OC4", "The partners keep their real concerns out of joint meetings.",
                   "open_communication", reverse_scored=True),
    # Mutual accountability: success and failure owned together.
    InstrumentItem("MA1", "When a milestone slips, the partners work on the recovery together.",
                   "mutual_accountability"),
    InstrumentItem("MA2", "The partners take responsibility for programme results that others "
                   "deliver.", "mutual_accountability"),
    InstrumentItem("MA3", "The partners keep the commitments they make to one another.",
                   "mutual_accountability"),
    InstrumentItem("MA4", "When something goes wrong, the partners look first for someone else "
                   "to blame.", "mutual_accountability", reverse_scored=True),
)

TEMPLATE_HEADER: tuple[str, ...] = (
    "Item ID", "Question text", "Factor", "Scale min", "Scale max", "Reverse-scored",
)


def default_item_ids() -> list[str]:
    return [item.item_id for item in DEFAULT_INSTRUMENT]


def default_instrument_frame() -> pd.DataFrame:
    """The default instrument in canonical fields, one row per item, in instrument order."""
    frame = pd.DataFrame({
        "item_id": [item.item_id for item in DEFAULT_INSTRUMENT],
        "text": [item.text for item in DEFAULT_INSTRUMENT],
        "factor": [item.factor for item in DEFAULT_INSTRUMENT],
        "scale_min": [SCALE_MIN] * len(DEFAULT_INSTRUMENT),
        "scale_max": [SCALE_MAX] * len(DEFAULT_INSTRUMENT),
        "reverse_scored": [item.reverse_scored for item in DEFAULT_INSTRUMENT],
    })
    return frame.astype({"scale_min": "int64", "scale_max": "int64", "reverse_scored": "bool"})


def default_instrument_csv() -> bytes:
    """The default instrument as a UTF-8 CSV in the instrument template's shape."""
    frame = default_instrument_frame()
    template = pd.DataFrame({
        "Item ID": frame["item_id"],
        "Question text": frame["text"],
        "Factor": frame["factor"].str.replace("_", " ", regex=False),
        "Scale min": frame["scale_min"],
        "Scale max": frame["scale_max"],
        "Reverse-scored": frame["reverse_scored"].map({True: "Yes", False: "No"}),
    }, columns=list(TEMPLATE_HEADER))
    buffer = io.StringIO()
    template.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def _check() -> None:
    ids = default_item_ids()
    assert len(ids) == len(set(ids)), "item ids must be unique"
    for factor in FACTORS:
        items = [item for item in DEFAULT_INSTRUMENT if item.factor == factor]
        assert len(items) == 4 and sum(item.reverse_scored for item in items) == 1, factor


_check()
