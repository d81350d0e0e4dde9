"""Whether a column's values are people's names rather than organisations.

A RAID log's "Raised By", a Jira "Reporter", a Smartsheet "Assigned To" or a ServiceNow "caller_id"
name people; the partner fields need organisations. A value reads as a person when it is written the
way tools write people: ``Given Family`` with a common given name first (``Priya Shah``, ``Alex J.
Morgan``), ``Family, Given`` (``Morgan, Alex``), an initial and a family name (``J. Lee``), a user
name (``jlee``, ``sam.patel``) or an email address. Organisation names rarely start with a given name
and never carry an initial; an organisation word (``Ltd``, ``Council``, ``Trust``, ...) or ``&`` rules
a value out.
"""
from __future__ import annotations

import re

import pandas as pd

from pipelines.ingest import values

# Common given names across the languages programme staff write in (folded to ASCII, lower case).
GIVEN_NAMES: frozenset[str] = frozenset("""
aaron abdul abdullah abigail adam adebayo aditya adrian ahmed aisha alan albert alex alexander alexandra
alice alicia alison amanda amar amber amelia amina amir amit amy ana andre andrea andrew andy angela anil
anita ann anna anne anthony anton antonio arjun arthur ashley aya ayesha barbara ben benjamin beth bilal
bob brian bruno carl carla carlos carmen caroline catherine charles charlie charlotte chen chidi chloe
chris christina christine christopher claire clare colin connor craig dan daniel darren david deborah
deepak dennis diana diane dimitri dmitri dominic donna duncan ed edward elena eleanor elizabeth ella ellie
emily emma eric erin ethan eva fatima felix fiona francesca francis frank fraser freya gareth gary gavin
george georgia gillian grace graham greg hamza hannah harry heather helen henry holly ian imran irene isaac
isabel isabella jack jacob jake james jamie jan jane janet jason jay jean jennifer jenny jessica jim jo joan
joanna joe john jon jonathan jordan jose joseph josh joshua julia julie justin karen kate katherine kathryn
katie keith kelly ken kevin kim kiran laura lauren lee leo li liam lily linda lisa liz lucy luis luke
lynn malik marc marcus maria mark martin mary matt matthew megan mei michael michelle mike mohamed
mohammed muhammad nadia naomi natalie nathan neil nicholas nick nicola nikhil nina noah nora oliver olivia
olu oluwaseun omar oscar owen pablo pam patricia patrick paul paula peter phil philip pierre pooja priya
rachel rahul raj rajesh ravi rebecca richard rob robert robin rosa rose ruth ryan sally sam samantha
samuel sandra sanjay sara sarah scott sean sebastian shan sharon simon sophie stella stephen steve steven
stuart sue susan tariq thomas tim timothy tom tomasz tony tracy valentina vanessa victoria vijay vikram
vincent wei william xin yan yusuf zainab zara zoe zhang
""".split())
ORGANISATION_WORDS: frozenset[str] = frozenset("""
ltd limited plc llp llc inc corp co company group partners partnership holdings trust council housing
association authority agency university college nhs foundation services service consulting consultants
engineering engineers construction contractors design designs architects civils infrastructure solutions
systems technologies technology international energy water rail homes health hospital school board
department ministry bank capital management associates projects utilities networks transport highways
works ecology signals signalling tunnelling team crew office unit centre center
""".split())
_FAMILY_FIRST = re.compile(r"^[A-Z][\w'\u2019-]+,\s*[A-Z][\w'\u2019.-]*(?:\s+[A-Z][\w'\u2019.-]*)?$")
_INITIAL_FIRST = re.compile(r"^[A-Z]\.\s*[A-Z][\w'\u2019-]+$")
_USER_NAME = re.compile(r"^[a-z]+[._][a-z]+\d*$|^[a-z]{3,}\d+$")  # sam.patel, j_lee, jlee2
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WORD = re.compile(r"^[A-Z][a-z'\u2019-]+$|^[A-Z]\.$")


def looks_like_person(value: str) -> bool:
    text = " ".join(str(value).split())
    if not text or "&" in text:
        return False
    if _EMAIL.match(text):
        return True
    folded = values.fold_latin(text)
    if " " not in folded and "," not in folded:
        return bool(_USER_NAME.match(folded))
    words = [w.strip(".") for w in re.split(r"[\s,]+", folded.casefold())]
    if any(ch.isdigit() for ch in folded) or any(w in ORGANISATION_WORDS for w in words):
        return False
    if _FAMILY_FIRST.match(folded) or _INITIAL_FIRST.match(folded):
        return True
    tokens = folded.split()
    return (2 <= len(tokens) <= 4 and tokens[0].casefold() in GIVEN_NAMES
            and all(_WORD.match(t) or t[:1].isupper() for t in tokens[1:]))


def person_share(sample: pd.Series) -> float:
    """The share of a column's distinct values (a sample of its cells) that look like people."""
    distinct = pd.unique(sample.dropna().astype(str))
    if not len(distinct):
        return 0.0
    return sum(looks_like_person(v) for v in distinct) / len(distinct)


__all__ = ["GIVEN_NAMES", "ORGANISATION_WORDS", "looks_like_person", "person_share"]
