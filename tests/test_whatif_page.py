"""The What-if page in Streamlit's AppTest: a seeded URL reproduces a scenario, a slider
move changes the projection, kept scenarios carry their own links, hidden partners and
short histories get no projection."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import settings
from pipelines.programme.factors import FACTORS
from pipelines.query import whatif
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


def metric(at, label):
    return next(m for m in at.metric if m.label == label)


def delivery(at):
    return next(d.value for d in at.dataframe if "With this scenario" in d.value.columns).merge(next(d.value for d in at.dataframe if "Rests on" in d.value.columns), on="Indicator")


def expected_index(demo, partner, deltas, weights):
    store = Store(demo / "demo.duckdb")
    current = whatif.current_scores(store.cursor())
    store.close()
    row = current[current["partner"] == partner].iloc[0]
    return whatif.project_index({f: row[f] for f in FACTORS}, deltas, weights)


def test_seeded_url_reproduces_the_scenario(demo):
    at = open_whatif(wi_partner="Kestrel Design", d_psychological_safety="12",
                     d_open_communication="-5", w_shared_goals="0.5")
    assert at.selectbox(key="wi_partner").value == "Kestrel Design"
    assert at.slider(key="d_psychological_safety").value == 12
    assert at.slider(key="d_open_communication").value == -5
    assert at.slider(key="w_shared_goals").value == pytest.approx(0.5)
    weights = settings.index_weights() | {"shared_goals": 0.5}
    index, band = expected_index(demo, "Kestrel Design",
                                 {"psychological_safety": 12, "open_communication": -5}, weights)
    assert metric(at, "Projected index").value == f"{index:.1f}"
    assert metric(at, "Band").value == band.capitalize()
    table = delivery(at)
    assert len(table) == 3 and table["Rests on"].str.contains("partner-waves").all()
    text = " ".join(c.value for c in at.caption)
    assert "not a promise" in text
    # the same URL again gives the same page
    again = open_whatif(wi_partner="Kestrel Design", d_psychological_safety="12",
                        d_open_communication="-5", w_shared_goals="0.5")
    assert metric(again, "Projected index").value == metric(at, "Projected index").value
    assert delivery(again).equals(table)


def test_moving_a_slider_changes_the_projection(demo):
    at = open_whatif(wi_partner="Brackwater Systems")
    before_index = metric(at, "Projected index").value
    before = delivery(at)
    at.slider(key="d_mutual_accountability").set_value(25).run()
    assert not at.exception
    assert metric(at, "Projected index").value != before_index
    after = delivery(at)
    assert not after["With this scenario"].equals(before["With this scenario"])
    assert (after["Expected"] == before["Expected"]).all()
    # a weight moves the index too
    moved_index = metric(at, "Projected index").value
    at.slider(key="w_mutual_accountability").set_value(1.0).run()
    assert metric(at, "Projected index").value != moved_index
    index, _ = expected_index(demo, "Brackwater Systems", {"mutual_accountability": 25},
                              settings.index_weights() | {"mutual_accountability": 1.0})
    assert metric(at, "Projected index").value == f"{index:.1f}"


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
    assert [b.proto.label for b in at.get("download_button")][:2] == ["PNG", "SVG"]
    at.slider(key="d_open_communication").set_value(-20).run()
    assert not at.exception
    after, moved = strip(at)
    projected = float(metric(at, "Projected index").value)
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
    shown = int(metric(at, "Rank").value.split(" of ")[1]) - 1
    assert len(others) == shown > 30 and "P7" not in {r["partner"] for r in others}
    assert 2 <= sum(r["label"] is not None for r in others) <= 4  # the ends and the neighbours


def test_one_declined_indicator_leaves_the_others_projected(tmp_path, monkeypatch):
    from test_whatif import generate

    store = Store(tmp_path / "no-milestones.duckdb")
    generate(store, partners=8, waves=10)
    with store.write() as cursor:
        cursor.execute("DELETE FROM milestones")  # no delivery record: on-time cannot be fitted
    store.close()
    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "no-milestones.duckdb"))
    at = open_whatif(wi_partner="P1")
    table = delivery(at).set_index("Indicator")
    declined = table[table["Rests on"].str.startswith("not projected")]
    assert len(declined) == 1 and "nan" not in declined["Rests on"].iloc[0]
    projected = table.drop(declined.index)
    assert len(projected) == 2
    assert (projected["With this scenario"] != "–").all()
    assert projected["Rests on"].str.contains("partner-waves").all()
