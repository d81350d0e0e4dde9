"""The product's default survey instrument, in its own wording.

Four statements per factor, rated on a 5-point agreement scale (1 = strongly disagree,
5 = strongly agree). Each factor has at least one reverse-scored statement: one where
agreeing describes partners that merely cooperate (each minding its own part) rather
than collaborate, so a respondent who agrees with everything does not look like a
perfect partnership. Statements are about the partner organisations of one programme.

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
    # Shared goals: goals worked out together, not assumed by one partner.
    InstrumentItem("SG1", "The programme's objectives were worked out jointly by the partner "
                   "organisations, not set by one of them.", "shared_goals"),
    InstrumentItem("SG2", "My organisation judges its success by the outcome of the whole "
                   "programme, not only by its own package of work.", "shared_goals"),
    InstrumentItem("SG3", "When partners' priorities pull in different directions, we settle it "
                   "by asking what is best for the programme.", "shared_goals"),
    InstrumentItem("SG4", "Each partner is mainly chasing its own targets; the shared objectives "
                   "come second.", "shared_goals", reverse_scored=True),
    # Joint governance: agreed ways of deciding, in which every partner has a voice.
    InstrumentItem("JG1", "Decisions that affect several partners are taken in a forum where each "
                   "of those partners has a say.", "joint_governance"),
    InstrumentItem("JG2", "I know how a decision gets made when two partners disagree.",
                   "joint_governance"),
    InstrumentItem("JG3", "The views of the smaller partners carry real weight in programme "
                   "decisions.", "joint_governance"),
    InstrumentItem("JG4", "My organisation usually hears about other partners' decisions that "
                   "change our work only after they have been taken.", "joint_governance",
                   reverse_scored=True),
    # Psychological safety: safe to speak up, admit a mistake, challenge.
    InstrumentItem("PS1", "People in my organisation can admit a mistake to the other partners "
                   "without it being used against us.", "psychological_safety"),
    InstrumentItem("PS2", "I can question a plan put forward by another partner without worrying "
                   "about the consequences.", "psychological_safety"),
    InstrumentItem("PS3", "Someone can flag a problem in a joint meeting before they know how to "
                   "fix it.", "psychological_safety"),
    InstrumentItem("PS4", "We keep bad news from the other partners for as long as we can.",
                   "psychological_safety", reverse_scored=True),
    # Open communication: honest dialogue, not only status reports.
    InstrumentItem("OC1", "Conversations between partners go beyond progress reports to what is "
                   "actually going wrong.", "open_communication"),
    InstrumentItem("OC2", "Other partners tell us directly when our work is causing them "
                   "difficulty.", "open_communication"),
    InstrumentItem("OC3", "Information I need from other partners reaches me without my having "
                   "to chase it.", "open_communication"),
    InstrumentItem("OC4", "After a joint meeting, the real concerns get discussed inside each "
                   "organisation rather than with the partners.", "open_communication",
                   reverse_scored=True),
    # Mutual accountability: success and failure owned together.
    InstrumentItem("MA1", "When a milestone slips, the partners work on the recovery together "
                   "instead of looking for someone to blame.", "mutual_accountability"),
    InstrumentItem("MA2", "My organisation feels responsible for the programme's results, "
                   "including work that other partners deliver.", "mutual_accountability"),
    InstrumentItem("MA3", "Partners keep the commitments they make to one another.",
                   "mutual_accountability"),
    InstrumentItem("MA4", "When something goes wrong, each partner's first concern is to show it "
                   "was not their fault.", "mutual_accountability", reverse_scored=True),
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
        assert len(items) == 4 and any(item.reverse_scored for item in items), factor


_check()
