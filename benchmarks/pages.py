"""Warm page reruns under AppTest against their charts-alone floor, and one what-if slider move.

``python -m benchmarks.pages '<json spec>'`` builds a programme store (default instrument,
``answers`` long survey rows over 200 partners x 40 waves inserted with SQL, and the 200k-row
issue log through the product's ingest), then for every page ``app.py`` routes:

* warm rerun: ``AppTest.from_file("app.py")``, ``switch_page``, one run to warm the caches, then the
  median of ``reruns`` timed ``run()`` calls;
* charts-alone floor: while the page's first (cold) run happens, every call of a
  ``pipelines.present.charts`` builder that returns an Altair chart (or a finished Vega-Lite spec, like
  ``whatif_strip_spec``) is recorded with its (already computed, in-memory) arguments; a script
  that only rebuilds those charts from those frames and shows them with ``st.altair_chart``
  (a cached spec builder is replaced by the Altair chart it stands for, ``ALTAIR_OF_SPEC``) is then
  timed the same way under AppTest; and a script that only draws the finished specs (``SPECS``).
"""
from __future__ import annotations

import json
import os
import pickle
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR: list[tuple[str, tuple, dict]] = []  # the charts of the page being measured
SPECS: list[dict] = []  # the same charts as finished Vega-Lite specs

# what the page's warm rerun does for its charts: the pages cache the finished spec
# (downloads._chart_spec), so a warm rerun only hands the spec to st.vega_lite_chart
SPECS_SCRIPT = """
import streamlit as st
from benchmarks import pages
for spec in pages.SPECS:
    st.vega_lite_chart(spec, theme=None)
"""

# A builder that returns a finished spec from a cache (the what-if strip's, per partner) is
# floored by the Altair chart it stands for, built from the same in-memory data: like every other
# page's floor, what building and drawing the chart costs, not a cache hit.
ALTAIR_OF_SPEC = {"whatif_strip_spec": "whatif_strip"}

FLOOR_SCRIPT = """
from benchmarks import pages
pages.draw_floor(pages.FLOOR)
"""


def draw_floor(calls: list[tuple[str, tuple, dict]]) -> None:
    """Build the recorded charts from their in-memory arguments and draw them (the floor, under
    AppTest here and on a real server in ``benchmarks/floor_app.py``)."""
    import streamlit as st

    from pipelines.present import charts
    for builder, args, kwargs in calls:
        chart = getattr(charts, ALTAIR_OF_SPEC.get(builder, builder))(*args, **kwargs)
        if isinstance(chart, dict):
            st.vega_lite_chart(chart, width="stretch")
        else:
            st.altair_chart(chart, width="stretch")


def floor_file(folder: str | Path, page: str) -> Path:
    """Where a page's recorded chart calls are kept for the browser floor (page: file stem)."""
    return Path(folder) / f"floor-{page}.pkl"


def _is_chart(out) -> bool:
    """An Altair chart, or a finished Vega-Lite spec (a dict naming its schema)."""
    import altair as alt

    return isinstance(out, alt.TopLevelMixin) or (isinstance(out, dict) and "$schema" in out)


def _as_spec(out) -> dict:
    return out if isinstance(out, dict) else out.to_dict()


def page_paths() -> list[str]:
    """The pages app.py routes, in its order (read from its st.Page calls)."""
    return re.findall(r"st\.Page\(\s*\"([^\"]+)\"", (ROOT / "app.py").read_text())


def build_store(work: str, answers: int, issues_csv: str | None) -> float:
    from benchmarks import generate
    from pipelines import ingest
    from pipelines.programme import bootstrap
    from pipelines.store import Store

    started = time.perf_counter()
    store = Store(os.environ["PARTNERSHIP_DB"])
    bootstrap.ensure_instrument(store)
    with store.write() as cursor:
        generate.insert_long_rows(cursor, answers)
    if issues_csv:
        with open(issues_csv, "rb") as handle:
            preview = ingest.prepare(store, "issues", "issues.csv", handle.read(),
                                     ingest.Options(accept_new_partners=True))  # 200 new partners
        ingest.commit(store, preview, policy="valid_only")
    store.close()
    return time.perf_counter() - started


def _record_charts():
    from pipelines.present import charts

    calls: list[tuple[str, tuple, dict]] = []
    originals = {}
    for name in dir(charts):
        fn = getattr(charts, name)
        if name.startswith("_") or not callable(fn) or getattr(fn, "__module__", "") != charts.__name__:
            continue

        def wrapper(*args, __fn=fn, __name=name, **kwargs):
            out = __fn(*args, **kwargs)
            if _is_chart(out):
                calls.append((__name, args, kwargs))
            return out
        originals[name] = fn
        setattr(charts, name, wrapper)

    def restore():
        for name, fn in originals.items():
            setattr(charts, name, fn)
    return calls, restore


def _timed(at, reruns: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(reruns):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def _measure_page(at, path: str, reruns: int, calls: list, cold: float | None = None) -> dict:
    """Cold run (unless the caller already did it: the default page), then warm reruns of the
    page alternating with reruns of its charts-alone floor (so both see the same machine
    load), then (what-if) slider moves. ``calls``: the chart-builder calls recorded so far;
    the page's are those its cold run adds (the pages cache chart specs, so later runs add
    none)."""
    from streamlit.testing.v1 import AppTest

    entry: dict = {}
    if cold is None:
        calls.clear()
        at.switch_page(path)
        t = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t
    entry["cold_s"] = cold
    if at.exception:
        entry["error"] = str(at.exception[0].value)[:300]
    calls = list(calls)
    entry["charts"] = [c[0] for c in calls]
    floor = specs = None
    if calls:
        from pipelines.present import charts

        FLOOR[:] = calls
        with open(floor_file(os.path.dirname(os.environ["PARTNERSHIP_DB"]), Path(path).stem), "wb") as handle:
            pickle.dump(calls, handle)  # for benchmarks.server_pages' floor in Chromium
        SPECS[:] = [_as_spec(getattr(charts, b)(*a, **k)) for b, a, k in calls]
        specs = AppTest.from_string(SPECS_SCRIPT, default_timeout=300)
        specs.run()
        floor = AppTest.from_string(FLOOR_SCRIPT, default_timeout=300)
        floor.run()  # warm-up, like the page's cold run
        if floor.exception:
            entry["floor_error"] = str(floor.exception[0].value)[:300]
        # the floor must really draw the page's charts (guards against an empty FLOOR)
        entry["floor_charts_drawn"] = len(floor.get("vega_lite_chart"))
    at.run()  # first warm run (fills caches keyed on widget state), not timed
    warm, floors, spec_floors = [], [], []
    for _ in range(reruns):
        t = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t)
        if floor is not None:
            t = time.perf_counter()
            floor.run()
            floors.append(time.perf_counter() - t)
            t = time.perf_counter()
            specs.run()
            spec_floors.append(time.perf_counter() - t)
    entry["warm_s"], entry["runs"] = statistics.median(warm), warm
    if floors:
        entry["floor_s"], entry["floor_runs"] = statistics.median(floors), floors
        entry["paired_ratio"] = statistics.median(w / f for w, f in zip(warm, floors))
        entry["spec_floor_s"], entry["spec_floor_runs"] = statistics.median(spec_floors), spec_floors
        entry["spec_paired_ratio"] = statistics.median(w / f for w, f in zip(warm, spec_floors))
    sliders = [s for s in at.slider if s.key and s.key.startswith("d_")] or list(at.slider)
    if "whatif" in path and sliders and all(s.disabled for s in sliders):
        entry["slider_error"] = "every what-if slider is disabled (the default partner is hidden)"
    sliders = [s for s in sliders if not s.disabled]
    if "whatif" in path and sliders:
        slider = sliders[0]
        low, high = slider.min, slider.max
        # a value not used before on every move (alternating two values would time the
        # cache of the second visit, not the move)
        values = [low + (high - low) * (0.55 + 0.4 * i / max(reruns - 1, 1)) for i in range(reruns)]
        moves = []
        for i in range(reruns):
            value = type(slider.value)(values[i]) if slider.value is not None else values[i]
            t = time.perf_counter()
            (at.slider(key=slider.key) if slider.key else slider).set_value(value).run()
            moves.append(time.perf_counter() - t)
        entry["slider"] = slider.key or slider.label
        entry["slider_move_s"], entry["slider_runs"] = statistics.median(moves), moves
    return entry


def measure(answers: int, reruns: int, issues_csv: str | None = None) -> dict:
    work = tempfile.mkdtemp(prefix="bench-pages-")
    os.environ.update(PARTNERSHIP_DB=os.path.join(work, "programme.duckdb"),
                      PARTNERSHIP_SALT_FILE=os.path.join(work, "salt"), PARTNERSHIP_DEMO="off",
                      PARTNERSHIP_UPLOAD_LIMIT_MB="100000")
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    setup = build_store(work, answers, issues_csv)
    from streamlit.testing.v1 import AppTest

    calls, _restore = _record_charts()  # for the whole run (the chart specs are cached)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    t = time.perf_counter()
    at.run()  # the default page's cold run
    first = time.perf_counter() - t
    results = {"setup_s": setup, "first_run_s": first, "pages": {}}
    for number, path in enumerate(page_paths()):
        try:
            results["pages"][path] = _measure_page(at, path, reruns, calls,
                                                   cold=first if number == 0 else None)
        except Exception as exc:  # one broken page must not lose the others' figures
            results["pages"][path] = {"error": f"{type(exc).__name__}: {exc}"[:300], "warm_s": None}
        print(f"{path}: {json.dumps(results['pages'][path])}", file=sys.stderr, flush=True)
    return results


if __name__ == "__main__":
    # the floor script imports benchmarks.pages: make that this module, not a second copy
    # with an empty FLOOR
    sys.modules["benchmarks.pages"] = sys.modules[__name__]
    spec = json.loads(sys.argv[1])
    print("RESULT " + json.dumps(measure(**spec)))
