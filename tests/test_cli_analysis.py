"""python -m pipelines alerts / evidence / whatif / reliability, through pipelines.cli.main
on real stores: the records the issue spells out, literal values, exit codes."""
from __future__ import annotations

import csv
import io
import json

import builders as b
import programmes as pg
import pytest
from test_evidence import Q1, setup as evidence_setup
from test_whatif import generate, generate_between, planted  # noqa: F401 (a fixture)

from pipelines import cli
from pipelines.programme.factors import FACTORS
from pipelines.store import Store


def run(store, *argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), store=store, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# -- alerts ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def falling(tmp_path_factory):
    """Six partners of 12 respondents, two waves; P000's shared goals collapse."""
    store = Store(tmp_path_factory.mktemp("alerts") / "p.duckdb")
    pg.simulate(store, 21, partners=6, waves=2, respondents=12,
                survey_shift={(0, "shared_goals", 1): -2.0})
    yield store
    store.close()


def test_alerts_json_has_one_record_per_alert(falling):
    code, out, err = run(falling, "alerts", "--format", "json")
    assert code == 0 and err == ""
    records = json.loads(out)
    fell = [r for r in records if r["partner"] == "P000" and r["factor"] == "shared_goals"]
    assert len(fell) == 1
    alert = fell[0]
    assert (alert["kind"], alert["wave"], alert["compared_with"]) == ("fell", pg.wave(1),
                                                                      pg.wave(0))
    assert alert["change"] < -30 and alert["change_low"] < alert["change"] < alert["change_high"] < 0
    assert 0 < alert["p_value"] <= alert["p_adjusted"] <= 0.05
    assert alert["note"].startswith("Shared goals fell ")
    assert {"kind", "partner", "factor", "wave", "change", "change_low", "change_high",
            "p_adjusted"} <= set(alert)


def test_alerts_csv_and_an_earlier_wave(falling):
    code, out, _ = run(falling, "alerts", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and any(r["partner"] == "P000" and r["kind"] == "fell" for r in rows)
    assert list(rows[0])[:5] == ["kind", "partner", "factor", "wave", "compared_with"]
    code, out, _ = run(falling, "alerts", "--format", "csv", "--wave", pg.wave(0))
    assert code == 0 and out.strip() == ",".join(
        ["kind", "partner", "factor", "wave", "compared_with", "indicator", "score",
         "compared_score", "change", "change_low", "change_high", "p_value", "p_adjusted",
         "note"])  # the first wave has nothing to fall from


def test_alerts_unknown_wave_is_a_usage_error(falling):
    code, out, err = run(falling, "alerts", "--wave", "2031-Q1")
    assert (code, out) == (64, "")
    assert err == f"There is no survey wave '2031-Q1'. The waves are: {pg.wave(0)}, {pg.wave(1)}.\n"


# -- evidence ------------------------------------------------------------------------------

def test_evidence_per_partner_and_period(store):
    evidence_setup(store)
    code, out, err = run(store, "evidence", "--format", "json", "--wave", Q1)
    assert code == 0 and err == ""
    records = json.loads(out)
    assert {r["wave"] for r in records} == {Q1} and len(records) == 3 * 7
    days = next(r for r in records if r["partner"] == "Alpha"
                and r["indicator"] == "median_days_to_resolve")
    assert (days["value"], days["count"], days["events"], days["basis"], days["factor"]) == (
        10.0, 3, 2, "issues raised", "open_communication")
    backlog = next(r for r in records if r["partner"] == "Beta"
                   and r["indicator"] == "ageing_backlog")
    assert (backlog["value"], backlog["count"], backlog["events"]) == (5.0, 2, 1)
    code, out, _ = run(store, "evidence")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 3 * 2 * 7
    assert list(rows[0]) == ["partner", "wave", "indicator", "factor", "value", "low", "high",
                             "count", "basis", "events"]


def test_evidence_unknown_wave(store):
    evidence_setup(store)
    code, _, err = run(store, "evidence", "--wave", "1999-Q4")
    assert code == 64 and err.startswith("There is no survey wave '1999-Q4'. The waves are: 2024-Q1, 2024-Q2")


def test_evidence_pooled_gives_the_figures_the_partner_profiles_cards_show(demo):
    """The demo's Brackwater Systems in 2026-Q3: its escalation rate pooled over 2026-Q1 to
    2026-Q3 (12 issues raised: enough), its joint milestones over four periods (6: too few)."""
    store = Store(None)
    try:
        code, out, err = run(store, "evidence", "--pooled", "--format", "json")
        assert code == 0 and err == ""
        records = {(r["partner"], r["indicator"]): r for r in json.loads(out)}
        escalation = records[("Brackwater Systems", "escalation_rate")]
        assert {k: escalation[k] for k in ("wave", "factor", "pooled_from", "periods", "events", "others_events",
                                           "basis", "compared", "direction")} == {
            "wave": "2026-Q3", "factor": "joint_governance", "pooled_from": "2026-Q1", "periods": 3,
            "events": 12, "others_events": 68, "basis": "issues raised", "compared": True, "direction": -1}
        assert round(escalation["value"], 4) == 0.3333 and round(escalation["others_value"], 4) == 0.2353
        joint = records[("Brackwater Systems", "joint_share")]
        assert (joint["pooled_from"], joint["periods"], joint["events"], joint["compared"], joint["p_value"]) == (
            "2025-Q4", 4, 6, False, None)
        code, out, _ = run(store, "evidence", "--pooled", "--wave", "2026-Q2")
        rows = list(csv.DictReader(io.StringIO(out)))
        assert code == 0 and {r["wave"] for r in rows} == {"2026-Q2"}
        assert list(rows[0]) == ["partner", "wave", "indicator", "factor", "pooled_from", "periods", "value",
                                 "others_value", "events", "others_events", "basis", "compared", "p_value",
                                 "direction"]
    finally:
        store.close()


# -- whatif --------------------------------------------------------------------------------

def test_whatif_projects_where_the_model_beats_the_naive_forecast(planted):
    code, out, err = run(planted, "whatif", "--partner", "P1", "--delta",
                         "mutual accountability=5", "--format", "json")
    assert code == 0 and err == ""
    result = json.loads(out)
    index = result["index"]
    assert index["projected"] == pytest.approx(index["now"] + 1.0, abs=1e-3)  # 5 points x 0.2
    low, high = index["interval"]
    assert low < index["projected"] < high
    bands = ("cooperating", "transitioning", "collaborating")
    assert result["band"] in bands and result["band_now"] in bands  # the score's band, as on every page
    assert len(result["band_interval"]) == 2 and set(result["band_interval"]) <= set(bands)
    assert len(result["band_now_interval"]) == 2 and set(result["band_now_interval"]) <= set(bands)
    by_name = {i["indicator"]: i for i in result["indicators"]}
    esc = by_name["escalation_rate"]
    assert esc["status"] == "projected" and esc["reason"] is None
    assert esc["interval"][0] < esc["projected"] < esc["interval"][1]
    assert esc["projected"] < esc["expected"]  # more accountability, fewer escalations
    assert esc["now"] is not None
    for name in ("on_time_rate", "median_days_to_resolve"):
        assert by_name[name]["status"] == "no reliable projection"
        assert by_name[name]["projected"] is None and by_name[name]["interval"] is None
        assert by_name[name]["reason"].startswith("the model's error (")
        assert by_name[name]["held_back"]["forecasts"] == 48


def test_whatif_band_is_the_scores_and_the_interval_says_what_it_reaches(demo):
    """Finding 4's scenario: 72.5 is collaborating (as Compare bands 72.0); its interval reaches 70 from below."""
    store = Store(None)
    try:
        code, out, err = run(store, "whatif", "--partner", "Harbour Civils", "--delta", "shared_goals=12",
                             "--weight", "shared_goals=0.4", "--format", "json")
        assert code == 0 and err == ""
        result = json.loads(out)
        assert round(result["index"]["projected"], 1) == 72.5 and round(result["index"]["now"], 1) == 68.5
        assert (result["band"], result["band_interval"]) == ("collaborating", ["transitioning", "collaborating"])
        assert (result["band_now"], result["band_now_interval"]) == ("transitioning", ["transitioning", "collaborating"])
        days = next(i for i in result["indicators"] if i["indicator"] == "median_days_to_resolve")
        assert days["reason"].startswith("the model's error (27.3 days) was not clearly smaller than the naive "
                                         "forecast's (34.2 days, the partner's own mean; one-sided p 0.12)")
    finally:
        store.close()


def test_whatif_past_the_observed_range(planted):
    code, out, _ = run(planted, "whatif", "--partner", "P1", "--delta",
                       "mutual_accountability=30")
    result = json.loads(out)
    esc = next(i for i in result["indicators"] if i["indicator"] == "escalation_rate")
    assert code == 0 and esc["status"] == "outside observed range"
    assert esc["projected"] is None and esc["reason"].startswith("Mutual accountability would be")


def test_whatif_weights_move_the_index(planted):
    _, plain, _ = run(planted, "whatif", "--partner", "P1", "--delta", "shared_goals=10")
    _, weighted, _ = run(planted, "whatif", "--partner", "P1", "--delta", "shared_goals=10",
                         "--weight", "shared_goals=1", *[f"--weight={f}=0" for f in FACTORS[1:]])
    plain, weighted = json.loads(plain), json.loads(weighted)
    assert weighted["weights"]["shared_goals"] == 1.0
    assert weighted["index"]["projected"] - weighted["index"]["now"] == pytest.approx(10.0)
    assert plain["index"]["projected"] - plain["index"]["now"] == pytest.approx(2.0)


def test_whatif_between_partners_only_gives_no_reliable_projection(tmp_path):
    store = Store(tmp_path / "between.duckdb")
    generate_between(store)
    code, out, _ = run(store, "whatif", "--partner", "B3", "--delta", "mutual_accountability=3")
    store.close()
    esc = next(i for i in json.loads(out)["indicators"] if i["indicator"] == "escalation_rate")
    assert code == 0 and esc["status"] == "no reliable projection"
    assert esc["projected"] is None and "naive forecast" in esc["reason"]


def test_whatif_with_too_little_history(tmp_path):
    store = Store(tmp_path / "short.duckdb")
    generate(store, partners=4, waves=3)
    code, out, _ = run(store, "whatif", "--partner", "P0")
    store.close()
    result = json.loads(out)
    assert code == 0 and result["index"]["now"] is not None
    assert {i["status"] for i in result["indicators"]} == {"no reliable projection"}
    assert result["indicators"][0]["reason"].startswith("The programme's history is too short")


def test_whatif_of_a_hidden_partner_says_why(tmp_path):
    store = Store(tmp_path / "hidden.duckdb")
    generate(store, partners=4, waves=3, respondents=4)
    code, out, _ = run(store, "whatif", "--partner", "P0")
    store.close()
    result = json.loads(out)
    assert code == 0 and result["shown"] is False and result["reason"]
    assert result["index"] == {"now": None, "projected": None, "interval": None}
    assert result["indicators"] == []


def test_whatif_bad_input(planted):
    code, out, err = run(planted, "whatif", "--partner", "Nobody")
    assert (code, out) == (1, "") and err.startswith("No partner named 'Nobody'. Partners: P0, P1")
    code, _, err = run(planted, "whatif", "--partner", "P1", "--delta", "courage=5")
    assert code == 1 and err.startswith("--delta needs FACTOR=NUMBER, not 'courage=5': FACTOR is one of shared_goals, ")
    code, _, err = run(planted, "whatif", "--partner", "P1",
                       *[f"--weight={f}=0" for f in FACTORS])
    assert code == 1 and err == "At least one index weight must be above zero.\n"
    assert run(planted, "whatif")[0] == 64  # --partner is required


# -- reliability ---------------------------------------------------------------------------

def test_reliability_per_factor_and_wave(store):
    """Three items a factor. Q1: five respondents who agree consistently (alpha 0.972) on
    shared goals and do not on joint governance (0.390); only two of the three
    psychological-safety items asked. Q2: four respondents, under k."""
    ids = b.add_partners(store, ["Alpha"])
    b.load(store, "instrument_items", b.instrument(items_per_factor=3))
    steady = [(1, 1, 2), (2, 2, 2), (3, 3, 4), (4, 5, 4), (5, 5, 5)]
    loose = [(1, 3, 2), (2, 1, 3), (3, 4, 2), (4, 2, 5), (5, 4, 3)]
    answers = []
    for s, g in zip(steady, loose):
        row = {f"shared_goals_{i + 1}": v for i, v in enumerate(s)}
        row |= {f"joint_governance_{i + 1}": v for i, v in enumerate(g)}
        row |= {"psychological_safety_1": s[0], "psychological_safety_2": s[1]}
        row |= {f"{f}_{i}": 3 for f in FACTORS[3:] for i in (1, 2, 3)}
        answers.append(row)
    b.load(store, "survey_responses",
           b.responses(ids["Alpha"], "2024-Q1", "2024-01-01", answers)
           + b.responses(ids["Alpha"], "2024-Q2", "2024-04-01", answers[:4]))
    code, out, err = run(store, "reliability", "--format", "json")
    assert code == 0 and err == ""
    got = {(r["wave"], r["factor"]): r for r in json.loads(out)}
    assert (got["2024-Q1", "shared_goals"]["alpha"], got["2024-Q1", "shared_goals"]["status"]) \
        == (0.972, "ok")
    governance = got["2024-Q1", "joint_governance"]
    assert (governance["alpha"], governance["status"], governance["respondents"]) == (
        0.39, "below 0.7", 5)
    assert governance["note"].startswith("Alpha 0.39 is below 0.7")
    safety = got["2024-Q1", "psychological_safety"]
    assert (safety["alpha"], safety["status"], safety["items_answered"], safety["items"]) == (
        None, "fewer than three items answered", 2, 3)
    assert got["2024-Q1", "open_communication"]["status"] == "no spread"
    hidden = got["2024-Q2", "shared_goals"]
    assert (hidden["alpha"], hidden["respondents"], hidden["status"]) == (
        None, None, "fewer than k respondents")
    code, out, _ = run(store, "reliability")
    assert out.splitlines()[0] == "wave,factor,alpha,respondents,items_answered,items,status,note"
