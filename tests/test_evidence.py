"""Delivery and issue indicators, and survey/evidence agreement, on a real store."""
from __future__ import annotations

from datetime import date

import builders as b
import pandas as pd
import pytest

from pipelines.programme.factors import FACTORS
from pipelines.query import evidence
from pipelines.store import Store

Q1, Q2 = "2024-Q1", "2024-Q2"


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "t.duckdb")
    yield store
    store.close()


def d(text):
    return date.fromisoformat(text) if text else None


def milestone(mid, owners, baseline, actual=None, forecast=None):
    return dict(milestone_id=mid, title=mid, owner_partner_ids=list(owners),
                baseline_date=d(baseline), actual_date=d(actual), forecast_date=d(forecast),
                status="complete" if actual else "open")


def issue(iid, raised_by, owned_by, raised, resolved=None, escalated=False):
    return dict(issue_id=iid, title=iid, kind="issue", raised_by_partner_id=raised_by,
                owned_by_partner_id=owned_by, raised_date=d(raised), resolved_date=d(resolved),
                severity="medium", status="closed" if resolved else "open", escalated=escalated)


MILESTONES = [
    milestone("M1", [1], "2024-02-01", actual="2024-01-30"),           # A on time, -2
    milestone("M2", [1, 2], "2024-03-01", actual="2024-03-11"),        # joint, late, +10
    milestone("M3", [2], "2024-03-15", forecast="2024-03-20"),         # not done, +5
    milestone("M4", [3], "2024-05-01", actual="2024-05-01"),           # Q2, on time, 0
    milestone("M6", [1], "2023-12-01", actual="2023-12-01"),           # before the first wave
    milestone("M7", [3], "2024-02-15", actual="2024-02-10"),           # C on time, -5
    milestone("M8", [99], "2024-02-15"),                               # unknown partner
]
ISSUES = [
    issue("I1", 1, 1, "2024-01-10", "2024-01-20"),                  # A self, 10 days
    issue("I2", 2, 1, "2024-02-01", "2024-02-05", escalated=True),  # A, 4 days
    issue("I3", 2, 1, "2024-03-20"),                                # A, open
    issue("I4", 1, 2, "2024-01-15"),                                # B, open, ageing
    issue("I5", 2, 2, "2024-03-25", "2024-04-10"),                  # B self, 16 days
    issue("I6", 3, None, "2024-02-01"),                             # nobody's
]


def setup(store, survey_sizes=(5, 5, 5), survey=True):
    ids = b.add_partners(store, ["Alpha", "Beta", "Gamma"])
    b.load(store, "instrument_items", b.instrument())
    if survey:
        rows = []
        # survey: Alpha all 3 (50), Beta all 2 (25), Gamma all 5 (100), both waves
        for (name, value), n in zip((("Alpha", 3), ("Beta", 2), ("Gamma", 5)), survey_sizes):
            for wave, start in ((Q1, "2024-01-01"), (Q2, "2024-04-01")):
                rows += b.responses(ids[name], wave, start, [b.all_items(value)] * n)
        b.load(store, "survey_responses", rows)
    b.load(store, "milestones", MILESTONES)
    b.load(store, "issues", ISSUES)
    return ids


def value(frame, partner_id, indicator, wave=Q1):
    sel = frame[(frame["partner_id"] == partner_id) & (frame["indicator"] == indicator)
                & (frame["wave"] == wave)]
    assert len(sel) == 1
    return sel.iloc[0]["value"], int(sel.iloc[0]["count"])


def test_indicator_table_is_complete():
    names = [i.name for i in evidence.INDICATORS]
    assert names == ["on_time_rate", "mean_slip_days", "joint_share", "median_days_to_resolve",
                     "escalation_rate", "self_raised_share", "ageing_backlog"]
    for indicator in evidence.INDICATORS:
        assert indicator.factor in FACTORS and indicator.good in ("higher", "lower")
        assert indicator.help and indicator.unit and indicator.strong and indicator.weak
    assert {i.factor for i in evidence.INDICATORS} == set(FACTORS)


def test_periods_follow_waves(store):
    setup(store)
    spans = evidence.periods(store.cursor())
    assert list(spans["wave"]) == [Q1, Q2]
    assert list(spans["wave_end"]) == [date(2024, 4, 1), date(2024, 7, 1)]  # last as long as Q1


def test_milestone_indicators(store):
    ids = setup(store)
    frame = evidence.indicators(store.cursor())
    a, bb, c = ids["Alpha"], ids["Beta"], ids["Gamma"]
    assert value(frame, a, "on_time_rate") == (0.5, 2)        # M1 yes, M2 no
    assert value(frame, bb, "on_time_rate") == (0.0, 2)       # M2, M3
    assert value(frame, c, "on_time_rate") == (1.0, 1)        # M7
    assert value(frame, a, "mean_slip_days") == (4.0, 2)      # (-2 + 10) / 2
    assert value(frame, bb, "mean_slip_days") == (7.5, 2)     # (10 + 5) / 2
    assert value(frame, c, "mean_slip_days") == (-5.0, 1)
    assert value(frame, a, "joint_share") == (0.5, 2)
    assert value(frame, c, "joint_share") == (0.0, 1)
    assert value(frame, c, "on_time_rate", Q2) == (1.0, 1)    # M4
    missing, count = value(frame, a, "on_time_rate", Q2)
    assert pd.isna(missing) and count == 0
    assert set(frame["partner_id"]) == {a, bb, c}             # partner 99 is not known
    row = frame[frame["indicator"] == "joint_share"].iloc[0]
    assert row["factor"] == "shared_goals"


def test_issue_indicators(store):
    ids = setup(store)
    frame = evidence.indicators(store.cursor())
    a, bb, c = ids["Alpha"], ids["Beta"], ids["Gamma"]
    assert value(frame, a, "escalation_rate") == (pytest.approx(1 / 3), 3)
    assert value(frame, a, "self_raised_share") == (pytest.approx(1 / 3), 3)
    assert value(frame, a, "median_days_to_resolve") == (7.0, 2)   # 10 and 4
    assert value(frame, bb, "median_days_to_resolve") == (16.0, 1)
    assert value(frame, bb, "self_raised_share") == (0.5, 2)
    assert value(frame, bb, "escalation_rate") == (0.0, 2)
    # backlog at 2024-04-01: Alpha has I3 (12 days old); Beta I4 (77 days) and I5 (7 days)
    assert value(frame, a, "ageing_backlog") == (0.0, 1)
    assert value(frame, bb, "ageing_backlog") == (1.0, 2)
    # at 2024-07-01: I3 is 103 days old; I5 was resolved
    assert value(frame, a, "ageing_backlog", Q2) == (1.0, 1)
    assert value(frame, bb, "ageing_backlog", Q2) == (1.0, 1)
    assert value(frame, c, "ageing_backlog", Q2) == (0.0, 0)
    esc, count = value(frame, c, "escalation_rate")
    assert pd.isna(esc) and count == 0
    only = evidence.indicators(store.cursor(), partners=[a], waves=[Q2])
    assert set(only["partner_id"]) == {a} and set(only["wave"]) == {Q2}
    assert len(only) == len(evidence.INDICATORS)


def test_quarters_without_survey(store):
    setup(store, survey=False)
    spans = evidence.periods(store.cursor())
    assert spans["wave"].iloc[0] == "2023-Q4" and spans["wave"].iloc[-1] == "2024-Q2"
    assert spans["wave_start"].iloc[1] == date(2024, 1, 1)
    frame = evidence.indicators(store.cursor())
    assert value(frame, 1, "on_time_rate") == (0.5, 2)


def test_asof_pin_for_issues(store):
    ids = setup(store)
    pin = store.data_version()
    b.load(store, "issues", [issue("I4", 1, 2, "2024-01-15", "2024-02-01")])  # I4 resolved
    now = evidence.indicators(store.cursor())
    then = evidence.indicators(store.cursor(), asof=pin)
    assert value(now, ids["Beta"], "ageing_backlog") == (0.0, 1)
    assert value(then, ids["Beta"], "ageing_backlog") == (1.0, 2)


def note(row) -> str:
    from pipelines.present import words

    return words.agreement_note(row, 5)


def test_agreement_flags_disagreement_in_plain_words(store):
    ids = setup(store)
    out = evidence.agreement(store.cursor(), wave=Q1, k=5)
    sg = out[out["factor"] == "shared_goals"].set_index("partner")
    # survey: Gamma 100 > Alpha 50 > Beta 25; joint share: Alpha 0.5 = Beta 0.5 > Gamma 0
    assert sg.loc["Gamma", "survey_rank"] == 1 and sg.loc["Gamma", "evidence_rank"] == 3
    assert sg.loc["Gamma", "disagrees"]
    assert sg.loc["Gamma", "verdict"] == evidence.Verdict.SAYS_STRONG
    assert sg.loc["Gamma", "contrary"] == "joint_share"
    assert note(sg.loc["Gamma"]) == ("Says strong shared goals (rank 1 of 3) but joint "
                                     "milestones are among the fewest (rank 3 of 3)")
    assert sg.loc["Beta", "disagrees"] and sg.loc["Beta", "verdict"] == evidence.Verdict.SAYS_WEAK
    assert note(sg.loc["Beta"]) == ("Says weak shared goals (rank 3 of 3) but joint "
                                    "milestones are among the most (rank 1 of 3)")
    assert sg.loc["Alpha", "verdict"] == evidence.Verdict.AGREES and sg.loc["Alpha", "contrary"] is None
    assert note(sg.loc["Alpha"]) == ("Survey (rank 2 of 3) and evidence (rank 1 of 3) do not "
                                     "markedly disagree")
    assert not sg.loc["Alpha", "disagrees"]
    assert (sg["ranked"] == 3).all()
    ma = out[out["factor"] == "mutual_accountability"].set_index("partner")
    # on time and slip both order Gamma > Alpha > Beta, as the survey does
    assert list(ma.sort_values("evidence_rank").index) == ["Gamma", "Alpha", "Beta"]
    assert not ma["disagrees"].any()
    assert ma.loc["Gamma", "evidence_score"] == pytest.approx(100.0)
    assert ma.loc["Gamma", "indicators"] == "on_time_rate, mean_slip_days"
    # defaults to the latest wave
    assert set(evidence.agreement(store.cursor(), k=5)["wave"]) == {Q2}


def test_agreement_keeps_hidden_survey_groups_hidden(store):
    setup(store, survey_sizes=(5, 5, 2))  # Gamma 2 -> hidden; Alpha hidden as complement
    out = evidence.agreement(store.cursor(), wave=Q1, k=5)
    hidden = out[out["partner"].isin(["Gamma", "Alpha"])]
    assert hidden["survey_score"].isna().all() and hidden["survey_rank"].isna().all()
    assert (hidden["verdict"] == evidence.Verdict.HIDDEN).all()
    gamma = hidden[hidden["partner"] == "Gamma"].iloc[0]
    alpha = hidden[hidden["partner"] == "Alpha"].iloc[0]
    assert note(gamma) == "No survey score to compare: fewer than 5 responses"
    assert note(alpha) == ("No survey score to compare: hidden so a smaller group cannot be "
                           "worked out by subtraction")
    beta = out[(out["partner"] == "Beta") & (out["factor"] == "shared_goals")].iloc[0]
    assert beta["ranked"] == 1 and not beta["disagrees"]
    assert beta["verdict"] == evidence.Verdict.TOO_FEW
    assert note(beta) == "Too few partners with both a survey score and evidence to compare (need 3)"
    assert not out["disagrees"].any()
