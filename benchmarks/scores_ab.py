"""A/B of ``pipelines/query/scores.py`` against another git revision of it: same outputs, and speed.

``python -m benchmarks.scores_ab [--rev 0556e94] [--answers 1000000] [--repeats 9] [--demo]``

Builds a store (``--demo``: the demo programme through the product's ingest; otherwise
``--answers`` long rows over 200 partners x 40 waves, as in the scores benchmark), loads the
old module from ``git show <rev>:pipelines/query/scores.py`` and compares every public function
(several k, partner/wave filters, programme off, pinned versions, weights) with the working
tree's: non-float columns and dtypes exactly, float columns to 1e-11 (DuckDB's parallel
float sums already differ in the last bits from one run of the old code to the next, which
is printed alongside). Then times old, new and the bare GROUP BY alternately: medians of wall
time and of the process's CPU time (all threads; steadier than wall time on a busy machine).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BARE = """SELECT r.partner_id, r.wave, i.factor, avg(r.value) AS mean, count(*) AS n
    FROM survey_responses r JOIN instrument_items i ON i.item_id = r.item_id AND i.current
    WHERE r.current GROUP BY r.partner_id, r.wave, i.factor"""


def old_module(rev: str):
    source = subprocess.run(["git", "show", f"{rev}:pipelines/query/scores.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp(prefix="scores-ab-")) / "scores_old.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("pipelines.scores_old", path)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "pipelines"  # its relative imports resolve to the working tree's
    spec.loader.exec_module(module)
    return module


def _max_diff(a: pd.DataFrame, b: pd.DataFrame) -> float:
    out = 0.0
    for column in a.columns:
        if a[column].dtype.kind == "f" and a[column].notna().any():
            out = max(out, float(np.nanmax(np.abs(a[column].to_numpy() - b[column].to_numpy()))))
    return out


def compare(old, new, cursor) -> int:
    waves = list(new.waves(cursor)["wave"])
    ids = list(new.partners(cursor)["partner_id"])
    latest = cursor.execute("SELECT max(batch_id) FROM batches").fetchone()[0]
    cases = [
        ("factor_scores", {}), ("factor_scores", {"k": 7}), ("factor_scores", {"programme": False}),
        ("factor_scores", {"partners": ids[:3]}), ("factor_scores", {"partners": ids[:2], "programme": False}),
        ("factor_scores", {"partners": []}), ("factor_scores", {"waves": waves[-2:]}),
        ("factor_scores", {"asof": latest}), ("factor_scores", {"asof": latest - 1}),
        ("factor_scores", {"thresholds": (40.0, 60.0)}), ("factor_scores", {"waves": []}),
        ("factor_scores", {"k": 9, "partners": ids[-3:], "waves": waves[:3]}),
        ("index_scores", {}), ("index_scores", {"k": 6, "partners": ids[:4]}),
        ("index_scores", {"weights": [1, 0, 2, 1, 1]}),
        ("changes", {}), ("changes", {"partners": ids[:5], "waves": waves[-3:]}),
        ("changes", {"include_index": False, "programme": False}),
        ("scores_export", {}),
    ]
    bad = 0
    for name, kwargs in cases:
        a, b, a2 = (getattr(m, name)(cursor, **kwargs) for m in (old, new, old))
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=1e-11)
            for column in a.columns:
                if a[column].dtype.kind != "f":
                    pd.testing.assert_series_equal(a[column], b[column], check_exact=True)
            verdict = "same"
        except AssertionError as exc:
            bad += 1
            verdict = "DIFFERENT: " + str(exc).splitlines()[0]
            if name == "scores_export":  # one-decimal rounding of a .x5 tie: see the old's own
                flips = int((a["score"].fillna(-1) != a2["score"].fillna(-1)).sum())
                verdict += f" (old vs old: {flips} rounded scores differ)"
        print(f"{verdict:5s} {name} {str(kwargs)[:60]} rows={len(a)} "
              f"max|old-new|={_max_diff(a, b):.1e} max|old-old|={_max_diff(a, a2):.1e}", flush=True)
    return bad


def timing(old, new, cursor, repeats: int) -> dict:
    old.factor_scores(cursor), new.factor_scores(cursor), cursor.execute(BARE).df()
    runs = {"old": [], "new": [], "bare": []}
    cpu = {"old": [], "new": [], "bare": []}  # CPU seconds, all threads: steadier under load
    for _ in range(repeats):
        for name, call in (("old", lambda: old.factor_scores(cursor)),
                           ("new", lambda: new.factor_scores(cursor)),
                           ("bare", lambda: cursor.execute(BARE).df())):
            c = time.process_time()
            t = time.perf_counter()
            call()
            runs[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    med = {k: statistics.median(v) for k, v in runs.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    return {**{f"{k}_ms": round(v * 1000, 1) for k, v in med.items()},
            "old_ratio": round(med["old"] / med["bare"], 2), "new_ratio": round(med["new"] / med["bare"], 2),
            **{f"{k}_cpu_ms": round(v * 1000, 1) for k, v in med_cpu.items()},
            "old_cpu_ratio": round(med_cpu["old"] / med_cpu["bare"], 2),
            "new_cpu_ratio": round(med_cpu["new"] / med_cpu["bare"], 2),
            "load": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scores_ab")
    # 0556e94: the last commit before the one-pass scores SQL (later commits swept up
    # intermediate versions of it)
    parser.add_argument("--rev", default="0556e94")
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="scores-ab-")
    os.environ.update(PARTNERSHIP_SALT_FILE=os.path.join(work, "salt"), PARTNERSHIP_DEMO="off")
    sys.path.insert(0, str(ROOT))
    from benchmarks import generate
    from pipelines.programme import bootstrap
    from pipelines.query import scores as new
    from pipelines.store import Store

    store = Store(os.path.join(work, "programme.duckdb"))
    if args.demo:
        bootstrap.load_demo(store)
    else:
        bootstrap.ensure_instrument(store)
        with store.write() as cursor:
            generate.insert_long_rows(cursor, args.answers)
    old = old_module(args.rev)
    cursor = store.cursor()
    bad = compare(old, new, cursor)
    print("RESULT", {"different": bad, **timing(old, new, cursor, args.repeats)}, flush=True)
    store.close()


if __name__ == "__main__":
    main()
