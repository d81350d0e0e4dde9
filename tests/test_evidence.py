"""Delivery and issue indicators, and survey/evidence agreement, on a real store."""
from __future__ import annotations

from datetime import date

import builders as b
import pandas as pd
import pytest

from pipelines import ingest
from pipelines.programme.factors import FACTORS
from pipelines.programme.factors import label as factor_label
from pipelines.present import words
from pipelines.query import evidence, scores
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
        assert indicator.measures and indicator.why and indicator.unit and indicator.basis
        assert indicator.better and indicator.worse
        # the direction and the factor are stated in the reason, in words
        assert indicator.why.startswith(f"{indicator.good.capitalize()} is better")
        assert factor_label(indicator.factor).lower() in indicator.why
        assert indicator.help == f"{indicator.measures} {indicator.why}"
    assert {i.factor for i in evidence.INDICATORS} == set(FACTORS)
    # every factor has at least one indicator compared with the survey
    assert {i.factor for i in evidence.INDICATORS if i.test} == set(FACTORS)


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
    assert set(frame["partner_id"]) == {a, bb, c}
    row = frame[frame["indicator"] == "joint_share"].iloc[0]
    assert row["factor"] == "shared_goals"


def test_issue_indicators(store):
    ids = setup(store)
    frame = evidence.indicators(store.cursor())
    a, bb, c = ids["Alpha"], ids["Beta"], ids["Gamma"]
    assert value(frame, a, "escalation_rate") == (pytest.approx(1 / 3), 3)
    assert value(frame, a, "self_raised_share") == (pytest.approx(1 / 3), 3)
    assert value(frame, bb, "self_raised_share") == (0.5, 2)
    assert value(frame, bb, "escalation_rate") == (0.0, 2)
    esc, count = value(frame, c, "escalation_rate")
    assert pd.isna(esc) and count == 0
    only = evidence.indicators(store.cursor(), partners=[a], waves=[Q2])
    assert set(only["partner_id"]) == {a} and set(only["wave"]) == {Q2}
    assert len(only) == len(evidence.INDICATORS)


def test_days_to_resolve_counts_open_issues_as_censored(store):
    """Kaplan-Meier: the log ends 2024-04-10 (I5 resolved). Alpha Q1: 4 and 10 days
    resolved, I3 open 21 days -> S(4) = 2/3, S(10) = 1/3: median 10 (only-resolved gave 7).
    Beta Q1: I5 16 days resolved, I4 open 86 days -> S(16) = 1/2, not below a half: not
    reached (statsmodels' strict rule, as SAS); only-resolved gave 16."""
    ids = setup(store)
    frame = evidence.indicators(store.cursor())
    row = lambda pid: frame[(frame["partner_id"] == pid) & (frame["wave"] == Q1)
                            & (frame["indicator"] == "median_days_to_resolve")].iloc[0]
    alpha, beta = row(ids["Alpha"]), row(ids["Beta"])
    assert (alpha["value"], alpha["count"], alpha["events"]) == (10.0, 3, 2)
    assert pd.isna(beta["value"]) and (beta["count"], beta["events"]) == (2, 1)
    assert alpha["low"] <= 10.0 <= alpha["high"]


def test_days_to_resolve_is_missing_while_most_issues_are_open(store):
    ids = b.add_partners(store, ["Solo", "Other"])
    b.load(store, "instrument_items", b.instrument())
    b.load(store, "survey_responses", b.responses(ids["Solo"], Q1, "2024-01-01",
                                                  [b.all_items(3)] * 5))
    b.load(store, "issues", [issue("S1", 1, 1, "2024-01-02", "2024-01-05"),
                             issue("S2", 1, 1, "2024-01-03"), issue("S3", 1, 1, "2024-01-04"),
                             issue("O1", 2, 2, "2024-01-01", "2024-03-01")])
    frame = evidence.indicators(store.cursor())
    solo = frame[(frame["partner_id"] == ids["Solo"])
                 & (frame["indicator"] == "median_days_to_resolve")].iloc[0]
    assert pd.isna(solo["value"]) and solo["count"] == 3 and solo["events"] == 1


def test_km_median_matches_statsmodels_on_a_larger_sample(store):
    from statsmodels.duration.survfunc import SurvfuncRight

    ids = b.add_partners(store, ["Solo"])
    b.load(store, "instrument_items", b.instrument())
    b.load(store, "survey_responses", b.responses(ids["Solo"], Q1, "2024-01-01",
                                                  [b.all_items(3)] * 5))
    days = [3, 5, 5, 8, 13, 21, 34, 40, 55, 70]
    open_after = {34, 55}  # these two still open on the log's last day (2024-03-20)
    rows = [issue(f"S{j}", 1, 1, f"2024-01-{j + 1:02d}",
                  None if d in open_after else str(date(2024, 1, j + 1) + pd.Timedelta(days=d))[:10])
            for j, d in enumerate(days)]
    b.load(store, "issues", rows + [issue("END", 1, 1, "2024-03-20", "2024-03-20")])
    frame = evidence.indicators(store.cursor())
    got = frame[frame["indicator"] == "median_days_to_resolve"].iloc[0]
    last = date(2024, 3, 20)
    times = [(d if d not in open_after else (last - date(2024, 1, j + 1)).days)
             for j, d in enumerate(days)] + [0]
    ended = [d not in open_after for d in days] + [True]
    assert got["value"] == SurvfuncRight(times, ended).quantile(0.5)


def test_ageing_backlog_is_scaled_by_workload(store):
    """Per 10 milestones owned that fall due in the year to the period's end."""
    ids = setup(store)
    frame = evidence.indicators(store.cursor())
    a, bb, c = ids["Alpha"], ids["Beta"], ids["Gamma"]
    # at 2024-04-01: Alpha's I3 is 12 days old, not ageing; workload M1, M2, M6
    assert value(frame, a, "ageing_backlog") == (0.0, 3)
    # Beta: I4 77 days old (ageing), I5 7 days; workload M2, M3 -> 10 * 1 / 2
    assert value(frame, bb, "ageing_backlog") == (5.0, 2)
    # at 2024-07-01: I3 is 103 days old; I5 was resolved
    assert value(frame, a, "ageing_backlog", Q2) == (pytest.approx(10 / 3), 3)
    assert value(frame, bb, "ageing_backlog", Q2) == (5.0, 2)
    assert value(frame, c, "ageing_backlog", Q2) == (0.0, 2)   # M4, M7, nothing open
    row = frame[(frame["partner_id"] == bb) & (frame["indicator"] == "ageing_backlog")
                & (frame["wave"] == Q1)].iloc[0]
    assert row["events"] == 1


def test_quarters_without_survey(store):
    setup(store, survey=False)
    spans = evidence.periods(store.cursor())
    assert spans["wave"].iloc[0] == "2023-Q4" and spans["wave"].iloc[-1] == "2024-Q2"
    assert spans["wave_start"].iloc[1] == date(2024, 1, 1)
    frame = evidence.indicators(store.cursor())
    assert value(frame, 1, "on_time_rate") == (0.5, 2)


def test_a_milestone_not_yet_due_is_no_miss(store):
    """The schedule's latest achievement is 2024-05-01 (M4): M3 (2024-03-15, not done) is a miss;
    a milestone planned for 2024-06-20 and not done is not yet due, and the quarters of a
    programme without a survey stop at what has happened (none for a milestone planned in 2025)."""
    ids = b.add_partners(store, ["Alpha", "Beta", "Gamma"])
    b.load(store, "milestones", MILESTONES + [milestone("M8", [3], "2024-06-20", forecast="2024-06-30"),
                                              milestone("M9", [3], "2025-05-01")])
    spans = evidence.periods(store.cursor())
    assert list(spans["wave"]) == ["2023-Q4", "2024-Q1", "2024-Q2"]
    frame = evidence.indicators(store.cursor())
    assert value(frame, ids["Gamma"], "on_time_rate", "2024-Q2") == (1.0, 1)  # M4 only, not M8
    assert value(frame, ids["Beta"], "on_time_rate", "2024-Q1") == (0.0, 2)   # M2 late, M3 missed
    assert value(frame, ids["Gamma"], "mean_slip_days", "2024-Q2") == (5.0, 2)  # M4 0, M8 forecast +10


def test_a_later_achievement_makes_earlier_plans_due(store):
    ids = b.add_partners(store, ["Alpha", "Beta", "Gamma"])
    b.load(store, "milestones", [milestone("M8", [3], "2024-06-20", forecast="2024-06-30"),
                                 milestone("M4", [3], "2024-05-01", actual="2024-05-01")])
    before = evidence.indicators(store.cursor())
    b.load(store, "milestones", [milestone("M10", [1], "2024-06-25", actual="2024-06-24")])
    after = evidence.indicators(store.cursor())
    assert value(before, ids["Gamma"], "on_time_rate", "2024-Q2") == (1.0, 1)
    assert value(after, ids["Gamma"], "on_time_rate", "2024-Q2") == (0.5, 2)  # M8 now missed


def test_an_issue_log_that_does_not_say_gives_no_escalation_rate(store):
    """Escalation unknown (a log without the column) is no value, not 0%; known beside unknown counts
    the known ones only."""
    ids = b.add_partners(store, ["Alpha", "Beta", "Gamma"])
    log = (b"Issue ID,Title,Raised by,Owned by,Raised date,Resolved date\r\n"
           b"I1,One,Alpha,Alpha,2024-01-10,2024-01-20\r\nI2,Two,Beta,Alpha,2024-02-01,\r\n")
    ingest.commit(store, ingest.prepare(store, "issues", "raid.csv", log))
    frame = evidence.indicators(store.cursor())
    rate, count = value(frame, ids["Alpha"], "escalation_rate", "2024-Q1")
    assert pd.isna(rate) and count == 0
    assert value(frame, ids["Alpha"], "self_raised_share", "2024-Q1") == (0.5, 2)
    b.load(store, "issues", [issue("I3", 2, 1, "2024-03-01", escalated=True)])
    assert value(evidence.indicators(store.cursor()), ids["Alpha"], "escalation_rate", "2024-Q1") == (1.0, 1)


def test_asof_pin_for_issues(store):
    ids = setup(store)
    pin = store.data_version()
    b.load(store, "issues", [issue("I4", 1, 2, "2024-01-15", "2024-02-01")])  # I4 resolved
    now = evidence.indicators(store.cursor())
    then = evidence.indicators(store.cursor(), asof=pin)
    assert value(now, ids["Beta"], "ageing_backlog") == (0.0, 2)
    assert value(then, ids["Beta"], "ageing_backlog") == (5.0, 2)


def test_agreement_says_too_few_events(store):
    """Three partners with a handful of milestones and issues: nothing is compared, and
    each row says why in plain words (the rank split used to flag two of them)."""
    ids = setup(store)
    out = evidence.agreement(store.cursor(), wave=Q1, k=5)
    assert len(out) == 3 * len(FACTORS) and not out["disagrees"].any()
    assert set(out["status"]) == {evidence.Status.TOO_FEW_EVENTS, evidence.Status.NO_EVIDENCE}
    gamma = out[(out["partner"] == "Gamma") & (out["factor"] == "joint_governance")].iloc[0]
    assert gamma["status"] == evidence.Status.NO_EVIDENCE  # Gamma owns no issue
    assert gamma["note"] == "No delivery or issue data for this factor in this wave"
    sg = out[out["factor"] == "shared_goals"].set_index("partner")
    # the first wave has no periods before it to pool (M6 falls before any wave)
    assert sg.loc["Alpha", "note"] == ("Too few events to compare joint milestones: 2 "
                                       "milestones due in 2024-Q1 (needs 10)")
    assert sg.loc["Alpha", "events"] == 2 and sg.loc["Alpha", "evidence_from"] == Q1
    q2 = evidence.agreement(store.cursor(), wave=Q2, k=5)
    alpha = q2[(q2["partner"] == "Alpha") & (q2["factor"] == "shared_goals")].iloc[0]
    assert alpha["note"] == ("Too few events to compare joint milestones: 2 milestones due in "
                             "2024-Q1 to 2024-Q2 (needs 10)")
    assert sg["p_adjusted"].isna().all() and sg["survey_rank"].isna().all()
    assert sg.loc["Gamma", "survey_score"] == 100.0
    # defaults to the latest wave
    assert set(evidence.agreement(store.cursor(), k=5)["wave"]) == {Q2}
    assert ids


def test_agreement_keeps_hidden_survey_groups_hidden(store):
    setup(store, survey_sizes=(5, 5, 2))  # Gamma 2 -> hidden; Alpha hidden as complement
    out = evidence.agreement(store.cursor(), wave=Q1, k=5)
    hidden = out[out["partner"].isin(["Gamma", "Alpha"])]
    assert hidden["survey_score"].isna().all() and hidden["survey_rank"].isna().all()
    assert hidden["others_score"].isna().all() and hidden["survey_difference"].isna().all()
    assert set(hidden["status"]) == {evidence.Status.SURVEY_HIDDEN}
    assert hidden["note"].isna().all()  # the reason is a code, said by present.words with k
    gamma = hidden[hidden["partner"] == "Gamma"].iloc[0]
    alpha = hidden[hidden["partner"] == "Alpha"].iloc[0]
    assert gamma["suppression_reason"] == scores.Suppression.SMALL_GROUP
    assert words.agreement_note(gamma, 5) == "No survey score to compare: fewer than 5 responses"
    assert words.agreement_note(alpha, 5) == ("No survey score to compare: hidden so a smaller "
                                              "group cannot be worked out by subtraction")
    shown = out[~out["partner"].isin(["Gamma", "Alpha"])].iloc[0]
    assert words.agreement_note(shown, 5) == shown["note"]
    assert not out["disagrees"].any()


def test_agreement_without_a_milestone_plan(store):
    """No milestones loaded: the factors they corroborate say so; nothing breaks."""
    ids = b.add_partners(store, ["Alpha", "Beta"])
    b.load(store, "instrument_items", b.instrument())
    b.load(store, "survey_responses",
           b.responses(ids["Alpha"], Q1, "2024-01-01", [b.all_items(3)] * 5)
           + b.responses(ids["Beta"], Q1, "2024-01-01", [b.all_items(4)] * 5))
    b.load(store, "issues", ISSUES[:2])
    out = evidence.agreement(store.cursor(), k=5)
    goals = out[out["factor"] == "shared_goals"]
    assert set(goals["status"]) == {evidence.Status.NO_EVIDENCE} and not out["disagrees"].any()
