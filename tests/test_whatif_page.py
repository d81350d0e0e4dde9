"""The What-if page in Streamlit's AppTest: a seeded URL reproduces a scenario, a slider
move changes the projection, kept scenarios carry their own links, hidden partners and
short histories get no projection."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from conftest import open_containers
from test_pages import metrics

from pipelines import settings
from pipelines.query import scenario, whatif
from pipelines.store import Store

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_whatif(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("app_pages/whatif.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at, label) -> str:
    """A metric's value as shown (a long one, "12 of 40", is a subheading under its label)."""
    return dict(metrics(at))[label]


def delivery(at):
    """The projection grid beside the trust table (a table, so its sentences wrap)."""
    projection = next(d.value for d in at.dataframe if "With this scenario" in d.value.columns)
    trust = next(t.value for t in at.table if "Rests on" in t.value.columns)
    return projection.merge(trust, on="Indicator")


def expected(db, partner, deltas, weights):
    """What ``python -m pipelines whatif`` says of the scenario (query.scenario)."""
    store = Store(db)
    found = scenario.scenario(store.cursor(), partner, deltas, weights)
    store.close()
    return found


# The demo's history earns no delivery projection (METHOD.md section 8: none of its three
# indicators beats a naive forecast), so the projection is tested on the generated programme
# whose escalation rate follows each partner's own accountability (test_whatif.generate).

def test_seeded_url_reproduces_the_scenario(generated_programme):
    db = generated_programme(partners=8, waves=10)
    at = open_whatif(wi_partner="P1", d_psychological_safety="12",
                     d_open_communication="-5", w_shared_goals="0.5")
    assert at.selectbox(key="wi_partner").value == "P1"
    assert at.slider(key="d_psychological_safety").value == 12
    assert at.slider(key="d_open_communication").value == -5
    assert at.slider(key="w_shared_goals").value == pytest.approx(0.5)
    weights = settings.index_weights() | {"shared_goals": 0.5}
    said = expected(db, "P1", {"psychological_safety": 12, "open_communication": -5}, weights)
    assert metric(at, "Projected index") == f"{said.index_projected:.1f}"
    assert any(m.value.startswith(f"**Band: {said.band.capitalize()}") for m in at.markdown)
    table = delivery(at).set_index("Indicator")
    assert list(table.index) == ["On-time milestones", "Median days to resolve", "Escalation rate"]
    projected = {i.label: i for i in said.indicators if i.status is whatif.Status.PROJECTED}
    assert list(projected) == ["Escalation rate"]  # the one the programme's history supports
    escalation = projected["Escalation rate"]
    assert table.loc["Escalation rate", "With this scenario"] == (  # its 95% interval beside it
        f"{escalation.projected * 100:.0f}% ({escalation.low * 100:.0f}% to {escalation.high * 100:.0f}%)")
    assert table.loc["Escalation rate", "Rests on"] == \
        "72 partner-waves, 8 partners; checked on 48 forecasts of 2023-Q1 to 2024-Q2"
    assert table.loc["Escalation rate", "Status"] == "projected"
    assert table.loc["Escalation rate", "Held-back check"].startswith(
        "the model's error (") and " was clearly smaller than the naive forecast's (" in \
        table.loc["Escalation rate", "Held-back check"]
    for name in ("On-time milestones", "Median days to resolve"):
        assert table.loc[name, "Status"] == "no reliable projection: the held-back check did not pass"
        assert table.loc[name, "Held-back check"].startswith("the model's error (")
        assert table.loc[name, "With this scenario"] == "–"
    text = " ".join(c.value for c in at.caption)
    assert "not a promise" in text
    # the same URL again gives the same page
    again = open_whatif(wi_partner="P1", d_psychological_safety="12",
                        d_open_communication="-5", w_shared_goals="0.5")
    assert metric(again, "Projected index") == metric(at, "Projected index")
    assert delivery(again).set_index("Indicator").equals(table)


def test_moving_a_slider_changes_the_projection(generated_programme):
    db = generated_programme(partners=8, waves=10)
    at = open_whatif(wi_partner="P1")
    before_index = metric(at, "Projected index")
    before = delivery(at).set_index("Indicator")
    at.slider(key="d_mutual_accountability").set_value(10).run()
    assert not at.exception
    assert metric(at, "Projected index") != before_index
    after = delivery(at).set_index("Indicator")
    # more accountability, fewer escalations next period: the planted within-partner effect
    assert float(after.loc["Escalation rate", "With this scenario"].split("%")[0]) < \
        float(before.loc["Escalation rate", "With this scenario"].split("%")[0])
    assert after.loc["Escalation rate", "Change"].endswith("(better)")
    assert (after["Expected"] == before["Expected"]).all()
    # a weight moves the index too
    moved_index = metric(at, "Projected index")
    at.slider(key="w_mutual_accountability").set_value(1.0).run()
    assert metric(at, "Projected index") != moved_index
    said = expected(db, "P1", {"mutual_accountability": 10},
                    settings.index_weights() | {"mutual_accountability": 1.0})
    assert metric(at, "Projected index") == f"{said.index_projected:.1f}"


def test_a_slider_past_what_the_programme_has_seen_projects_nothing(generated_programme):
    generated_programme(partners=8, waves=10)
    at = open_whatif(wi_partner="P1", d_mutual_accountability="25")
    table = delivery(at).set_index("Indicator")
    assert table.loc["Escalation rate", "Status"].startswith(
        "outside observed range: Mutual accountability would be ")
    assert any(i.value.startswith("Nothing is projected: this scenario goes outside what this "
                                  "programme has observed") for i in at.info)


def test_the_demo_says_plainly_why_there_is_no_delivery_projection(demo):
    at = open_whatif(wi_partner="Kestrel Design", d_psychological_safety="12")
    assert metric(at, "Projected index")  # the index itself needs no model
    assert any(i.value.startswith("No delivery indicator has a reliable projection") for i in at.info)
    table = delivery(at)
    assert len(table) == 3 and (table["With this scenario"] == "–").all()
    assert (table["Status"] == "no reliable projection: the held-back check did not pass").all()
    assert table["Rests on"].str.contains("forecasts of 2025-Q4 to 2026-Q3").all()
    days = table.set_index("Indicator").loc["Median days to resolve", "Held-back check"]
    assert days == ("the model's error (27.3 days) was not clearly smaller than the naive forecast's (34.2 days, "
                    "the partner's own mean; one-sided p 0.12), over 15 forecasts")
    captions = " ".join(c.value for c in at.caption)
    assert "A naive forecast is the simplest guess" in captions and "One-sided p is how often" in captions
    assert "2026-Q3 alone: the partner's latest period with a value, on its own" in captions
    assert list(delivery(at).columns[:2]) == ["Indicator", "2026-Q3 alone"]


def test_kept_scenarios_have_their_own_links(demo):
    at = open_whatif(wi_partner="Harbour Civils")
    keep = lambda: next(b for b in at.button if b.label == "Keep this scenario").click().run()
    at.slider(key="d_shared_goals").set_value(10).run()
    keep()
    at.slider(key="d_shared_goals").set_value(-10).run()
    keep()
    kept = next(d.value for d in at.dataframe if "Link" in d.value.columns)
    assert list(kept["Scenario"]) == ["A", "B"]
    assert "d_shared_goals=10" in kept["Link"].iloc[0]
    assert "d_shared_goals=-10" in kept["Link"].iloc[1]
    assert all("wi_partner=Harbour%20Civils" in link for link in kept["Link"])
    assert kept["Index"].iloc[0] != kept["Index"].iloc[1]


def test_a_hidden_partner_gets_no_projection(demo):
    at = open_whatif(wi_partner="Pipwell Ecology")
    assert any("not shown" in w.value for w in at.warning)
    assert not [m for m in at.metric if m.label == "Projected index"]
    assert all(s.disabled for s in at.slider if s.key.startswith("d_"))


def test_short_history_says_so_and_projects_no_delivery(generated_programme):
    generated_programme(partners=4, waves=3)
    at = open_whatif(wi_partner="P1")
    assert any("too short" in i.value for i in at.info)
    assert not [d for d in at.dataframe if "With this scenario" in d.value.columns]
    assert metric(at, "Projected index")  # the index itself needs no model


def strip(at) -> tuple[dict, dict]:
    """The What-if strip on the page: its spec as sent, and its named datasets as rows."""
    import json

    import pyarrow as pa

    chart = next(c for c in at.get("vega_lite_chart")
                 if any(d.name == "whatif-own" for d in c.proto.datasets))
    data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in chart.proto.datasets}
    return {"spec": json.loads(chart.proto.spec), "theme": chart.proto.theme}, data


def test_a_slider_move_redraws_the_strip_with_the_scenario(demo):
    at = open_whatif(wi_partner="Brackwater Systems")
    before, data = strip(at)
    assert before["theme"] == ""  # the chart's own fonts and colours, like every chart
    assert not [b for b in at.get("download_button") if b.proto.label in ("PNG", "SVG")]  # made when opened
    open_containers(at, "download-what-if-spectrum")
    assert [b.proto.label for b in at.get("download_button")][:2] == ["PNG", "SVG"]
    at.slider(key="d_open_communication").set_value(-20).run()
    assert not at.exception
    after, moved = strip(at)
    projected = float(metric(at, "Projected index"))
    own = {r["what"]: r for r in moved["whatif-own"]}
    assert own["with this scenario"]["index"] == pytest.approx(projected, abs=0.05)
    assert own["now"] == {r["what"]: r for r in data["whatif-own"]}["now"]
    def dots(rows):  # which names are written may follow the projection; the dots stay put
        return [(r["partner"], r["index"], r["y"]) for r in rows]

    assert dots(moved["whatif-others"]) == dots(data["whatif-others"])  # same partners, weights
    assert "Brackwater Systems" not in {r["partner"] for r in moved["whatif-others"]}
    assert after["spec"] == before["spec"]  # only the data changed: the browser keeps the chart


def test_a_large_programme_strip_names_a_few_and_shows_every_partner(generated_programme):
    generated_programme(partners=40, waves=2)
    at = open_whatif(wi_partner="P7")
    _, data = strip(at)
    others = data["whatif-others"]
    shown = int(metric(at, "Rank").split(" of ")[1]) - 1
    assert len(others) == shown > 30 and "P7" not in {r["partner"] for r in others}
    assert 2 <= sum(r["label"] is not None for r in others) <= 4  # the ends and the neighbours


def test_one_declined_indicator_leaves_the_others_projected(tmp_path, monkeypatch):
    """No milestones: on-time cannot be fitted and says why; escalation, which the
    programme's history supports, is still projected (days to resolve is not: it never was)."""
    from test_whatif import generate

    store = Store(tmp_path / "no-milestones.duckdb")
    generate(store, partners=8, waves=10)
    with store.write() as cursor:
        cursor.execute("DELETE FROM milestones")  # no delivery record: on-time cannot be fitted
    store.close()
    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "no-milestones.duckdb"))
    at = open_whatif(wi_partner="P1")
    table = delivery(at).set_index("Indicator")
    on_time = table.loc["On-time milestones", "Status"]
    assert on_time.startswith("no reliable projection: ") and "nan" not in on_time
    assert "held-back check" not in on_time  # its own reason: there is nothing to fit
    assert table.loc["Escalation rate", "With this scenario"] != "–"
    assert table.loc["Escalation rate", "Rests on"].startswith("72 partner-waves, 8 partners")


def test_a_link_with_moves_and_weights_says_what_it_changed(demo):
    at = open_whatif(wi_partner="Kestrel Design", d_shared_goals="10", w_shared_goals="0.5")
    assert "Changes: Shared goals +10. Weights: Shared goals 38%, Joint gov. 15%, Psych. safety 15%, Open comm. " \
           "15%, Mutual acc. 15% (changed from the programme's)." in [c.value for c in at.caption]
    weights = next(e for e in at.expander if e.label == "Index weights")
    assert weights.proto.expanded  # the changed weights are in sight when the link opens


def test_a_link_without_changes_says_so_and_keeps_the_weights_folded(demo):
    at = open_whatif(wi_partner="Kestrel Design")
    assert "Changes: no changes. Weights: as configured." in [c.value for c in at.caption]
    assert not next(e for e in at.expander if e.label == "Index weights").proto.expanded


def test_the_reviewers_link_bands_by_the_score_and_says_now_is_reweighted(demo):
    """Findings 4 and 8: /what-if?d_shared_goals=12&w_shared_goals=0.4&wi_partner=Harbour+Civils."""
    at = open_whatif(wi_partner="Harbour Civils", d_shared_goals="12", w_shared_goals="0.4")
    assert metric(at, "Projected index") == "72.5"
    assert "**Band: Collaborating; its 95% interval reaches into Transitioning** (now Transitioning; its 95% " \
           "interval reaches into Collaborating)" in [m.value for m in at.markdown]
    assert "+4.0 vs now" in [m.proto.delta for m in at.metric]
    assert "Now, with these weights: 68.5 (68.0 with the programme's weights). The strip places every partner " \
           "by its index with these weights." in [c.value for c in at.caption]


def test_no_change_says_so_without_an_arrow(demo):
    at = open_whatif(wi_partner="Brackwater Systems")
    index = next(m for m in at.metric if m.proto.body == "43.1")
    assert index.proto.delta == "no change"
    assert index.proto.direction == MetricProto.MetricDirection.NONE  # no arrow for no change
    assert not any(c.value.startswith("Now, with these weights") for c in at.caption)


def test_how_this_works_is_written_when_opened(demo):
    at = open_whatif(wi_partner="Brackwater Systems")
    how = next(e for e in at.expander if e.label == "How this works")
    assert not how.markdown  # made when opened: its effects table was laid out on every slider step
    open_containers(at, "wi_how")
    how = next(e for e in at.expander if e.label == "How this works")
    assert how.markdown[0].value.startswith("**The index.**")
    effects = how.dataframe[0].value
    assert list(effects.columns) == ["Indicator", "Factor", "Per +10 points", "95% interval", "Clear of zero"]
    assert effects.iloc[0][["Indicator", "Factor"]].tolist() == ["On-time milestones", "Shared goals"]
