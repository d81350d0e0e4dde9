"""schedules.milestone_rows: which rows of a plan are milestones, for every tool's export; and
people.looks_like_person, which keeps people's names out of the partner fields."""
import pandas as pd
import pytest

from pipelines.ingest.people import looks_like_person, person_share
from pipelines.ingest.schedules import milestone_rows


def plan(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype=object)


@pytest.mark.parametrize("zero", ["0 days", "0d", "0 hrs", "0 edays", "0 wks", "0", "0.0 days", "0 days?",
                                  "0 mons", "PT0H0M0S", " 0 Days ", "0 jours", "0 Tage", "0,0 d"])
def test_zero_durations_are_milestones(zero):
    kept = milestone_rows(plan(Name=["Gate", "Work"], Duration=[zero, "5 days"]))
    assert kept.keep.tolist() == [True, False]
    assert kept.note.startswith("Kept the 1 milestone of this plan ('Duration' marks them): 1 ordinary task "
                                "skipped.")


def test_durations_that_are_not_zero():
    kept = milestone_rows(plan(Duration=["10 days", "0.5 days", "1 wk", "05 days", "0 days"]))
    assert kept.keep.tolist() == [False, False, False, False, True]


@pytest.mark.parametrize("yes, no", [("Yes", "No"), ("TRUE", "FALSE"), ("1", "0"), ("Y", None)])
def test_a_milestone_flag_column(yes, no):
    kept = milestone_rows(plan(**{"Task Name": ["Gate", "Work"], "Is Milestone": [yes, no]}))
    assert kept.keep.tolist() == [True, False]


def test_summary_rows_by_outline_level_are_never_milestones():
    kept = milestone_rows(plan(Outline_Level=["1", "2", "2", "1", "2"],
                               Duration=["0 days", "3 days", "0 days", "10 days", "0 days"]))
    assert kept.keep.tolist() == [False, False, True, False, True]
    assert "1 ordinary task and 2 summary rows skipped" in kept.note


def test_summary_flag_and_outline_numbers():
    kept = milestone_rows(plan(WBS=["1", "1.1", "1.2"], Summary=["Yes", "No", "No"], Milestone=["No", "Yes", "No"]))
    assert kept.keep.tolist() == [False, True, False]


def test_a_milestone_list_without_flags_keeps_every_row():
    kept = milestone_rows(plan(**{"Milestone ID": ["M1", "M2"], "Milestone": ["Design agreed", "Hub live"]}))
    assert kept.keep.tolist() == [True, True] and kept.note is None


@pytest.mark.parametrize("name", ["Priya Shah", "Alex J. Morgan", "Morgan, Alex", "J. Lee", "sam.patel",
                                  "jlee2", "a.person@example.org", "Hannah Kowalski", "Olu Adeyemi"])
def test_people(name):
    assert looks_like_person(name)


@pytest.mark.parametrize("name", ["Northgate Housing", "Riverside Health Trust", "Kestrel Design", "Osprey",
                                  "Balfour Beatty", "Pipwell Ecology", "Site crew A", "RHT", "Smith & Jones",
                                  "Alex Morgan Associates", "governance", "Ørsted"])
def test_organisations(name):
    assert not looks_like_person(name)


def test_person_share_counts_distinct_values():
    assert person_share(pd.Series(["Priya Shah"] * 9 + ["Northgate Housing"])) == 0.5
