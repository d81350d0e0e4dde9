"""The demo programme: deterministic, in real export shapes, and telling a coherent story.

The survey means below are computed the way a reader of the exports would: reverse items
flipped, all answers of a partner in a wave averaged, on the 1-5 scale. Literal counts
pin the default seed's output; they change only if the generator (or numpy's streams)
changes, which should be a deliberate act.
"""
from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.programme import demo
from pipelines.programme.demo import (
    COMMENT_HEADER,
    DEMO_ACTIONS,
    DEMO_AS_OF,
    DEMO_LABEL,
    HEADCOUNT_HEADER,
    ISSUE_HEADER,
    MILESTONE_HEADER,
    PARTNERS,
    RATING_QUESTION,
    SURVEY_HEADER,
    WAVES,
    demo_files,
    demo_levels,
    demo_partner_names,
    wave_end,
    wave_start,
)
from pipelines.programme.factors import FACTORS
from pipelines.programme.instrument import (
    DEFAULT_INSTRUMENT,
    default_instrument_csv,
    default_instrument_frame,
)

TINY = "Pipwell Ecology"
IMPROVING = ("Harbour Civils", "Kestrel Design")
STALLING = "Corvell Signalling"
SLIPPING = "Brackwater Systems"
STEADY = "Northline Infrastructure"


def _read(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _wave_of(day: str) -> str:
    d = date.fromisoformat(day)
    label = f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    return min(max(label, WAVES[0]), WAVES[-1])


@pytest.fixture(scope="module")
def files():
    return demo_files()


@pytest.fixture(scope="module")
def surveys(files) -> dict[str, pd.DataFrame]:
    return {f.wave: pd.read_csv(io.BytesIO(f.data)) for f in files if f.dataset == "survey"}


@pytest.fixture(scope="module")
def answers(surveys) -> pd.DataFrame:
    """Long answers: Organisation, wave, item, factor, value (reverse items flipped to 1-5)."""
    instrument = default_instrument_frame().set_index("item_id")
    frames = []
    for wave, frame in surveys.items():
        long = frame.melt(id_vars=["Respondent ID", "Organisation", "Response date"],
                          value_vars=list(instrument.index), var_name="item", value_name="value").dropna(
            subset=["value"])
        long["wave"] = wave
        frames.append(long)
    long = pd.concat(frames, ignore_index=True)
    long["factor"] = long["item"].map(instrument["factor"])
    flip = long["item"].map(instrument["reverse_scored"]).astype(bool)
    long.loc[flip, "value"] = 6 - long.loc[flip, "value"]
    return long


@pytest.fixture(scope="module")
def means(answers) -> pd.DataFrame:
    """Mean answer per partner (rows) x wave (columns)."""
    return answers.groupby(["Organisation", "wave"])["value"].mean().unstack()


@pytest.fixture(scope="module")
def factor_means(answers) -> dict[str, pd.Series]:
    per = answers.groupby(["Organisation", "wave", "factor"])["value"].mean()
    return {factor: per.xs(factor, level="factor") for factor in FACTORS}


def _file(files, dataset: str) -> pd.DataFrame:
    return _read(next(f for f in files if f.dataset == dataset).data)


@pytest.fixture(scope="module")
def milestones(files) -> pd.DataFrame:
    return _file(files, "milestones")


@pytest.fixture(scope="module")
def issues(files) -> pd.DataFrame:
    return _file(files, "issues")


# ------------------------------------------------------------------------- determinism

def test_same_bytes_every_call():
    first, second = demo_files(), demo_files()
    assert [(f.dataset, f.name, f.data) for f in first] == [
        (f.dataset, f.name, f.data) for f in second]


def test_same_bytes_in_another_process(files):
    """No dependence on hash seeds, the clock or process state."""
    digest = hashlib.sha256(b"".join(f.data for f in files)).hexdigest()
    script = ("import hashlib; from pipelines.programme.demo import demo_files; "
              "print(hashlib.sha256(b''.join(f.data for f in demo_files())).hexdigest())")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(demo.__file__).resolve().parents[2],
                         env={"PYTHONHASHSEED": "123", "PATH": ""})
    assert out.stdout.strip() == digest


def test_seed_changes_the_data_not_the_shape():
    default, other = demo_files(), demo_files(seed=8)
    assert [f.name for f in default] == [f.name for f in other]
    assert default[1].data != other[1].data
    assert default[0].data == other[0].data  # the partner list is not random


# ------------------------------------------------------------------------ shapes, headers

def test_files_in_load_order(files):
    assert [f.dataset for f in files] == ["partners"] + ["survey"] * 8 + ["milestones", "issues", "headcount"]
    assert [f.wave for f in files if f.dataset == "survey"] == list(WAVES)
    assert len({f.name for f in files}) == len(files)
    assert all(f.name.endswith(".csv") for f in files)
    assert WAVES[0] == "2024-Q4" and WAVES[-1] == "2026-Q3"
    assert wave_end(WAVES[-1]) < DEMO_AS_OF == date(2026, 11, 24)


def test_headers(files):
    first_lines = [f.data.split(b"\n", 1)[0].decode() for f in files]
    assert first_lines[0] == "Partner,Aliases"
    item_ids = [item.item_id for item in DEFAULT_INSTRUMENT]
    ratings = [f"{RATING_QUESTION} [{name}]" for name in demo_partner_names()]
    for line in first_lines[1:9]:
        assert line == ",".join(["Respondent ID", "Organisation", "Response date", *item_ids, *ratings,
                                 COMMENT_HEADER])
    assert first_lines[9] == ("Milestone ID,Title,Owner,Baseline date,Forecast date,"
                              "Actual date,Status")
    assert first_lines[10] == ("Issue ID,Title,Type,Raised by,Owned by,Raised date,"
                               "Resolved date,Severity,Status,Escalated")
    assert tuple(first_lines[9].split(",")) == MILESTONE_HEADER
    assert tuple(first_lines[10].split(",")) == ISSUE_HEADER
    assert tuple(first_lines[11].split(",")) == HEADCOUNT_HEADER
    assert len(SURVEY_HEADER) == 3 + 20
    for f in files:
        f.data.decode("utf-8")
        assert b"\r" not in f.data


def test_six_fictional_partners_with_aliases(files):
    partners = _read(files[0].data)
    assert list(partners["Partner"]) == demo_partner_names() == [
        "Harbour Civils", "Kestrel Design", "Corvell Signalling", "Brackwater Systems",
        "Northline Infrastructure", "Pipwell Ecology"]
    assert len(PARTNERS) == 6
    for name, aliases in zip(partners["Partner"], partners["Aliases"]):
        parts = aliases.split("; ")
        assert 1 <= len(parts) <= 3 and name not in parts and all(parts)
    all_aliases = [a for text in partners["Aliases"] for a in text.split("; ")]
    assert len(set(all_aliases)) == len(all_aliases)
    assert "fictional" in DEMO_LABEL.lower() and "Demo" in DEMO_LABEL


def test_survey_files_look_like_exports(surveys):
    names = set(demo_partner_names())
    for wave, frame in surveys.items():
        ids = frame["Respondent ID"]
        assert ids.is_unique
        assert ids.str.fullmatch(rf"R-{wave.replace('-', '')}-\d{{4}}").all()
        assert set(frame["Organisation"]) == names
        dates = frame["Response date"].map(date.fromisoformat)
        assert dates.between(wave_start(wave), wave_end(wave)).all()
        assert frame["Response date"].is_monotonic_increasing
        values = frame[[item.item_id for item in DEFAULT_INSTRUMENT]].stack().dropna()
        assert set(values.unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_some_answers_skipped(surveys):
    items = [item.item_id for item in DEFAULT_INSTRUMENT]
    cells = pd.concat([frame[items] for frame in surveys.values()])
    assert 0.02 < cells.isna().to_numpy().mean() < 0.04
    assert (cells.isna().sum(axis=1) < 5).all()  # skipped an item, not the survey


def test_respondent_counts(means, answers):
    counts = answers.groupby(["Organisation", "wave"])["Respondent ID"].nunique().unstack()
    assert list(counts.loc[TINY]) == [3, 6, 3, 6, 4, 3, 3, 3]
    assert (counts.loc[TINY] < 5).sum() >= 6  # mostly under the default anonymity threshold
    others = counts.drop(index=TINY)
    assert (others >= 9).all().all()
    # Bigger partners send more people, in the order of their size.
    order = others.mean(axis=1).sort_values(ascending=False).index.tolist()
    assert order == ["Harbour Civils", "Kestrel Design", "Corvell Signalling",
                     "Brackwater Systems", "Northline Infrastructure"]


# ------------------------------------------------------------------------------- arcs

def test_improving_partners_rise(means):
    for name in IMPROVING:
        assert means.loc[name, WAVES[-1]] - means.loc[name, WAVES[0]] > 0.9, name
        halves = means.loc[name, list(WAVES[4:])].mean() - means.loc[name, list(WAVES[:4])].mean()
        assert halves > 0.5, name
    assert round(means.loc["Harbour Civils", WAVES[0]], 2) == 2.29
    assert round(means.loc["Harbour Civils", WAVES[-1]], 2) == 3.72


def test_slipping_partner_falls(means):
    row = means.loc[SLIPPING]
    assert row[WAVES[0]] - row[WAVES[-1]] > 0.6
    assert row[list(WAVES[4:])].mean() < row[list(WAVES[:4])].mean() - 0.3


def test_stalling_partner_is_flat_in_the_middle(means):
    row = means.loc[STALLING]
    later = row[list(WAVES[2:])]
    assert later.max() - later.min() < 0.35
    assert 2.8 < later.mean() < 3.4  # the middle of the scale: transitioning, not arriving


def test_steady_partner_stays_high(means):
    row = means.loc[STEADY]
    assert (row > 3.6).all() and row.max() - row.min() < 0.5
    assert means[WAVES[0]].idxmax() == STEADY


def test_tiny_partner_is_noisy(means):
    steps = means.loc[TINY].diff().abs().dropna()
    steady_steps = means.loc[STEADY].diff().abs().dropna()
    assert steps.mean() > 2 * steady_steps.mean()


def test_factors_differ_within_a_partner(factor_means):
    kestrel_goals = factor_means["shared_goals"].loc["Kestrel Design"].mean()
    kestrel_safety = factor_means["psychological_safety"].loc["Kestrel Design"].mean()
    assert kestrel_goals - kestrel_safety > 0.7
    corvell_governance = factor_means["joint_governance"].loc[STALLING].mean()
    assert corvell_governance < min(factor_means[f].loc[STALLING].mean()
                                    for f in FACTORS if f != "joint_governance")


def test_levels_frame_matches_the_story():
    levels = demo_levels()
    assert len(levels) == 6 * 8 * 5
    assert levels["level"].between(0, 100).all()
    overall = levels.groupby(["partner", "wave"])["level"].mean().unstack()
    assert overall.loc["Harbour Civils", WAVES[-1]] > overall.loc["Harbour Civils", WAVES[0]] + 25
    assert overall.loc[SLIPPING, WAVES[-1]] < overall.loc[SLIPPING, WAVES[0]] - 15


# ------------------------------------------------------------------------- milestones

def test_milestones_shape(milestones):
    names = set(demo_partner_names())
    assert len(milestones) == 104
    assert milestones["Milestone ID"].is_unique
    owners = milestones["Owner"].str.split("; ")
    assert owners.map(lambda o: set(o) <= names and len(set(o)) == len(o)).all()
    joint = owners.map(len) > 1
    assert 0.12 < joint.mean() < 0.3
    assert owners[joint].map(len).isin([2, 3]).all()
    per_partner = owners.explode().value_counts()
    assert per_partner.drop(TINY).between(15, 35).all()
    for column in ("Baseline date", "Forecast date", "Actual date"):
        filled = milestones.loc[milestones[column] != "", column]
        assert filled.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    baseline_waves = milestones["Baseline date"].map(_wave_of)
    assert set(baseline_waves) == set(WAVES)


def test_milestone_status_matches_dates(milestones):
    done = milestones["Actual date"] != ""
    assert (milestones.loc[done, "Status"] == "Complete").all()
    assert milestones.loc[~done, "Status"].isin(["In progress", "Not started"]).all()
    assert (milestones.loc[done, "Actual date"] <= DEMO_AS_OF.isoformat()).all()
    assert (milestones["Forecast date"] != "").all()
    future = milestones["Baseline date"] > DEMO_AS_OF.isoformat()
    assert future.sum() >= 8
    assert (milestones.loc[future, "Actual date"].eq("")
            | (milestones.loc[future, "Actual date"] <= milestones.loc[future, "Baseline date"])
            ).all()
    overdue = ~done & ~future
    assert overdue.sum() >= 2  # late and still open on the demo's today
    assert (milestones.loc[~done, "Forecast date"] > DEMO_AS_OF.isoformat()).all()


# ----------------------------------------------------------------------------- issues

def test_issues_shape(issues):
    names = set(demo_partner_names())
    assert len(issues) == 203
    assert issues["Issue ID"].is_unique and issues["Issue ID"].str.fullmatch(r"NRA-\d+").all()
    assert set(issues["Type"]) == {"Issue", "Risk", "Dispute"}
    assert set(issues["Severity"]) == {"Low", "Medium", "High", "Critical"}
    assert set(issues["Escalated"]) == {"Yes", "No"}
    assert set(issues["Raised by"]) == names and set(issues["Owned by"]) <= names
    assert (issues["Raised date"] <= DEMO_AS_OF.isoformat()).all()
    assert issues["Raised date"].is_monotonic_increasing
    open_ = issues["Resolved date"] == ""
    assert (issues.loc[open_, "Status"] == "Open").all()
    assert (issues.loc[~open_, "Status"] == "Resolved").all()
    assert 10 <= open_.sum() <= 40
    assert (issues.loc[~open_, "Resolved date"] >= issues.loc[~open_, "Raised date"]).all()
    assert (issues.loc[~open_, "Resolved date"] <= DEMO_AS_OF.isoformat()).all()
    # An ageing backlog: some issues open for more than 90 days.
    assert (issues.loc[open_, "Raised date"] < "2026-08-26").any()


def _corr(a: pd.Series, b: pd.Series) -> float:
    frame = pd.DataFrame({"a": a.astype(float), "b": b.astype(float)}).dropna()
    return float(np.corrcoef(frame["a"], frame["b"])[0, 1])


def test_delivery_follows_mutual_accountability(milestones, factor_means):
    accountability = factor_means["mutual_accountability"]
    done = milestones[milestones["Actual date"] != ""].copy()
    wave = done["Baseline date"].map(_wave_of)
    score = [np.mean([accountability[(o, w)] for o in owners.split("; ")])
             for owners, w in zip(done["Owner"], wave)]
    on_time = done["Actual date"] <= done["Baseline date"]
    slip = (pd.to_datetime(done["Actual date"]) - pd.to_datetime(done["Baseline date"])).dt.days
    score = pd.Series(score, index=done.index)
    assert _corr(on_time, score) > 0.2
    assert _corr(slip.clip(lower=0), score) < -0.2


def test_issue_handling_follows_the_survey(issues, factor_means):
    accountability = factor_means["mutual_accountability"]
    openness = factor_means["open_communication"]
    wave = issues["Raised date"].map(_wave_of)
    owner_ma = pd.Series([accountability[(o, w)] for o, w in zip(issues["Owned by"], wave)],
                         index=issues.index)
    raiser_oc = pd.Series([openness[(r, w)] for r, w in zip(issues["Raised by"], wave)],
                          index=issues.index)
    resolved = issues["Resolved date"] != ""
    days = (pd.to_datetime(issues.loc[resolved, "Resolved date"])
            - pd.to_datetime(issues.loc[resolved, "Raised date"])).dt.days
    # Low accountability: slower to resolve, more escalations.
    assert _corr(days, owner_ma[resolved]) < -0.2
    assert _corr(issues["Escalated"] == "Yes", owner_ma) < -0.1
    # Open communication: more issues about one's own work, raised before they grow severe.
    own = issues["Raised by"] == issues["Owned by"]
    assert _corr(own, raiser_oc) > 0.15
    severity = issues["Severity"].map({"Low": 0, "Medium": 1, "High": 2, "Critical": 3})
    assert _corr(severity, raiser_oc) < -0.1
    assert _corr(issues["Type"] == "Risk", raiser_oc) > 0


def test_own_work_share_moves_with_the_arcs(issues):
    own = issues["Raised by"] == issues["Owned by"]
    late = issues["Raised date"] >= wave_start("2025-Q4").isoformat()
    share = own.groupby([issues["Raised by"], late]).mean().unstack()
    for name in IMPROVING:
        assert share.loc[name, True] > share.loc[name, False], name
    assert share.loc[SLIPPING, True] < share.loc[SLIPPING, False]


# ------------------------------------------------------------------------- instrument

def test_instrument_four_items_per_factor_with_a_reverse_item():
    frame = default_instrument_frame()
    assert list(frame.columns) == ["item_id", "text", "factor", "scale_min", "scale_max",
                                   "reverse_scored"]
    assert len(frame) == 20 and frame["item_id"].is_unique and frame["text"].is_unique
    prefixes = {"shared_goals": "SG", "joint_governance": "JG", "psychological_safety": "PS",
                "open_communication": "OC", "mutual_accountability": "MA"}
    for factor in FACTORS:
        items = frame[frame["factor"] == factor]
        assert list(items["item_id"]) == [f"{prefixes[factor]}{i}" for i in range(1, 5)]
        assert items["reverse_scored"].sum() >= 1
    assert (frame["scale_min"] == 1).all() and (frame["scale_max"] == 5).all()
    assert frame["reverse_scored"].dtype == bool
    reversed_ids = set(frame.loc[frame["reverse_scored"], "item_id"])
    assert reversed_ids == {"SG4", "JG4", "PS4", "OC4", "MA4"}
    for text in frame["text"]:
        assert text.endswith(".") and 30 <= len(text) <= 130
        assert re.search(r"partner|programme|joint", text, re.IGNORECASE), text


def test_instrument_csv_in_template_shape():
    template = _read(default_instrument_csv())
    assert list(template.columns) == ["Item ID", "Question text", "Factor", "Scale min",
                                      "Scale max", "Reverse-scored"]
    assert set(template["Factor"]) == {f.replace("_", " ") for f in FACTORS}
    assert set(template["Reverse-scored"]) == {"Yes", "No"}
    assert template.loc[template["Item ID"] == "JG4", "Reverse-scored"].item() == "Yes"
    assert list(template["Question text"]) == list(default_instrument_frame()["text"])


# ------------------------------------------------------------ beside the scores (issue 25)

def test_every_respondent_rates_the_other_partners_on_the_survey_scale(surveys):
    skipped = []
    for wave, frame in surveys.items():
        for name in demo_partner_names():
            column = frame[f"{RATING_QUESTION} [{name}]"]
            assert column[frame["Organisation"] == name].isna().all()  # not one's own organisation
            others = column[frame["Organisation"] != name]
            assert set(others.dropna().unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
            skipped.append(others.isna())
    assert 0.04 < pd.concat(skipped).mean() < 0.06


def test_the_two_sides_of_a_relationship_differ_where_the_story_says(surveys):
    def mean(rater, target):
        frames = [f[f["Organisation"] == rater][f"{RATING_QUESTION} [{target}]"] for f in surveys.values()]
        return pd.concat(frames).mean()
    assert (round(mean(STEADY, STALLING), 2), round(mean(STALLING, STEADY), 2)) == (3.8, 2.8)
    assert mean("Harbour Civils", "Kestrel Design") > mean("Harbour Civils", SLIPPING) + 0.4


def test_some_respondents_write_comments_and_a_few_leave_contact_details(surveys):
    texts = pd.concat([f[COMMENT_HEADER] for f in surveys.values()]).fillna("")
    written = texts[texts != ""]
    assert len(written) == 143
    assert written.str.contains("07700 900123|@northline.example").sum() == 13


def test_headcounts_list_every_partner_then_the_changes(files):
    headcount = _file(files, "headcount")
    assert list(headcount.itertuples(index=False, name=None)) == [
        ("Harbour Civils", "2024-Q4", "40"), ("Kestrel Design", "2024-Q4", "32"),
        ("Corvell Signalling", "2024-Q4", "25"), ("Brackwater Systems", "2024-Q4", "20"),
        ("Northline Infrastructure", "2024-Q4", "14"), ("Pipwell Ecology", "2024-Q4", "6"),
        ("Harbour Civils", "2025-Q3", "44"), ("Brackwater Systems", "2026-Q1", "32")]


def test_respondents_never_exceed_the_invited(answers):
    counts = answers.groupby(["Organisation", "wave"])["Respondent ID"].nunique()
    invited = {p.name: p.headcount for p in PARTNERS}
    assert all(n <= invited[name] for (name, _wave), n in counts.items())


def test_a_few_actions_some_closed_one_overdue():
    assert len(DEMO_ACTIONS) == 5
    assert sum(a.closed is not None for a in DEMO_ACTIONS) == 3
    assert all(a.created < a.due and (a.closed is None or a.created < a.closed <= DEMO_AS_OF) for a in DEMO_ACTIONS)
    assert [a.partner for a in DEMO_ACTIONS if a.closed is None and a.due < DEMO_AS_OF] == [SLIPPING]
    assert {a.factor for a in DEMO_ACTIONS} <= set(FACTORS)
