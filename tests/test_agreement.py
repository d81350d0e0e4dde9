"""Survey against evidence, on simulated programmes in real stores: a disagreement is flagged
only where both sides differ from the other partners beyond noise, with enough events, and
the false discovery rate holds when nothing (or only the survey) really differs."""
from __future__ import annotations

import pandas as pd
import programmes as pg
import pytest

from pipelines.query import alerts, evidence
from pipelines.store import Store

LAST = pg.wave(3)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Seed 11: P005 (30 respondents a wave) says its joint governance is strong (+1.5 scale
    points in the last wave) while it escalates every issue it owns (the others one in
    five). Both sides must clear Benjamini-Hochberg over ~800 pairs: a smaller partner or a
    smaller gap is (rightly) not distinguishable from noise in a programme this size."""
    store = Store(tmp_path_factory.mktemp("planted") / "p.duckdb")
    pg.simulate(store, 11, sizes={5: 30}, survey_shift={(5, "joint_governance", 3): 1.5},
                evidence={5: {"escalated": 1.0}})
    yield store
    store.close()


def test_a_planted_disagreement_is_found_and_said(planted):
    out = evidence.agreement(planted.cursor(), k=5)
    assert set(out["wave"]) == {LAST}
    flagged = out[out["disagrees"]]
    assert list(zip(flagged["partner"], flagged["factor"])) == [("P005", "joint_governance")]
    row = flagged.iloc[0]
    assert row["status"] == evidence.Status.DISAGREES and row["indicator"] == "escalation_rate"
    assert row["survey_difference"] > 20 and row["survey_low"] > 0
    assert row["evidence_value"] == 1.0 and row["others_value"] < 0.3
    # four issues a quarter: the wave and the two before it make the ten events needed
    assert row["events"] == 12 and row["evidence_from"] == pg.wave(1)
    assert row["p_adjusted"] <= 0.01 and row["p_value"] <= row["p_adjusted"]
    assert row["note"].startswith("Says stronger joint governance than the other partners (+")
    assert "it escalates more of its issues than the other partners (escalation rate 100% " \
           "against " in row["note"]
    assert row["note"].endswith(f"12 issues raised in {pg.wave(1)} to {LAST}; adjusted p < 0.001)")


def test_the_alert_is_the_agreements_row(planted):
    found = alerts.alerts(planted.cursor(), k=5)
    found = found[found["kind"] == alerts.Kind.DISAGREEMENT]
    assert len(found) == 1
    alert = found.iloc[0]
    assert (alert["partner"], alert["factor"], alert["indicator"]) == (
        "P005", "joint_governance", "escalation_rate")
    assert alert["compared_with"] == alerts.OTHER_PARTNERS
    assert alert["change_low"] < alert["change"] < alert["change_high"]
    assert alert["p_adjusted"] <= 0.01


def test_two_milestones_a_quarter_are_too_few_events(planted):
    """2 milestones a quarter (and one shared by P004), 4 quarters pooled, is 9: too few
    events, said so."""
    out = evidence.agreement(planted.cursor(), k=5)
    mine = out[(out["partner"] == "P005") & (out["factor"] == "mutual_accountability")].iloc[0]
    assert mine["status"] == evidence.Status.TOO_FEW_EVENTS and mine["events"] == 9
    assert mine["evidence_from"] == pg.wave(0) and pd.isna(mine["p_adjusted"])
    assert mine["note"] == (f"Too few events to compare on-time milestones: 9 milestones due in "
                            f"{pg.wave(0)} to {LAST} (needs 10)")


def test_ranks_are_only_for_compared_partners(planted):
    out = evidence.agreement(planted.cursor(), k=5)
    compared = out["p_adjusted"].notna()
    assert out.loc[compared, "survey_rank"].notna().all()
    assert out.loc[~compared, "survey_rank"].isna().all()
    governance = out[(out["factor"] == "joint_governance") & compared]
    assert governance["ranked"].eq(len(governance)).all()
    p005 = governance.set_index("partner").loc["P005"]
    assert p005["evidence_rank"] == len(governance)  # the worst evidence of all


def _flags(tmp_path_factory, seeds, **kwargs) -> list[int]:
    counts = []
    for seed in seeds:
        store = Store(tmp_path_factory.mktemp("agree") / "p.duckdb")
        pg.simulate(store, seed, **kwargs)
        counts.append(int(evidence.agreement(store.cursor(), k=5)["disagrees"].sum()))
        store.close()
    return counts


def test_partners_that_really_differ_in_the_survey_alone_are_not_flagged(tmp_path_factory):
    """Partners differ for real in the survey (sd 0.4 scale points, about 10 on 0-100) but
    their evidence is drawn from one distribution: any flag is false. BH over the pairs
    keeps programmes with any flag near 5%."""
    counts = _flags(tmp_path_factory, range(200, 210), partner_levels=0.4)
    assert sum(c > 0 for c in counts) <= 2 and sum(counts) <= 3
