"""Where the time of an ingest or a scores call goes: the product's own functions, profiled.

``python -m benchmarks.where ingest FILE DATASET [--policy valid_only]``
``python -m benchmarks.where scores ANSWERS``

Runs the case of ``benchmarks/cases.py`` once to warm up (files cached, DuckDB's catalog read),
then once under ``cProfile``, and prints each ``pipelines`` function's cumulative time and its
share of the whole (wall time, cProfile's clock: DuckDB's work shows inside the calls that wait for
it). A function that calls another counts both, so shares overlap.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _profiled(run) -> tuple[float, pstats.Stats]:
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.runcall(run)
    return time.perf_counter() - started, pstats.Stats(profile)


def _table(seconds: float, stats: pstats.Stats, limit: int) -> str:
    rows = []
    for (file, line, name), (_, calls, _own, cumulative, _) in stats.stats.items():
        if f"{os.sep}pipelines{os.sep}" in file:
            where = f"{Path(file).relative_to(ROOT)}:{line} {name}"
            rows.append((cumulative, calls, where))
    rows.sort(reverse=True)
    lines = [f"wall {seconds:.3f} s (profiled)", "| function | calls | cumulative | share |", "|---|---:|---:|---:|"]
    lines += [f"| `{where}` | {calls} | {cumulative * 1000:.0f} ms | {cumulative / seconds:.0%} |"
              for cumulative, calls, where in rows[:limit]]
    return "\n".join(lines)


def ingest(path: str, dataset: str, policy: str, limit: int) -> str:
    work = tempfile.mkdtemp(prefix="bench-where-")
    os.environ.update(PARTNERSHIP_SALT_FILE=os.path.join(work, "salt"), PARTNERSHIP_DEMO="off",
                      PARTNERSHIP_UPLOAD_LIMIT_MB="100000")
    from pipelines import ingest as stage
    from pipelines.programme import bootstrap
    from pipelines.store import Store

    data = Path(path).read_bytes()
    for number in range(2):  # each into a fresh store: the first warms up, the second is the one shown
        store = Store(os.path.join(work, f"programme-{number}.duckdb"))
        bootstrap.ensure_instrument(store)

        def run():
            stage.commit(store, stage.prepare(store, dataset, Path(path).name, data), policy=policy)
        seconds, stats = _profiled(run)
        store.close()
    return _table(seconds, stats, limit)


def scores(answers: int, limit: int) -> str:
    work = tempfile.mkdtemp(prefix="bench-where-")
    os.environ.update(PARTNERSHIP_SALT_FILE=os.path.join(work, "salt"), PARTNERSHIP_DEMO="off")
    from benchmarks import generate
    from pipelines.programme import bootstrap
    from pipelines.query import scores as query
    from pipelines.store import Store

    store = Store(os.path.join(work, "programme.duckdb"))
    bootstrap.ensure_instrument(store)
    with store.write() as cursor:
        generate.insert_long_rows(cursor, answers)
    cursor = store.cursor()
    query.factor_scores(cursor)  # warm-up
    seconds, stats = _profiled(lambda: query.factor_scores(cursor))
    store.close()
    return _table(seconds, stats, limit)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.where")
    parser.add_argument("--limit", type=int, default=25, help="functions shown")
    kinds = parser.add_subparsers(dest="kind", required=True)
    one = kinds.add_parser("ingest")
    one.add_argument("file")
    one.add_argument("dataset", choices=["survey", "issues"])
    one.add_argument("--policy", default="valid_only", choices=["valid_only", "all_or_nothing"])
    two = kinds.add_parser("scores")
    two.add_argument("answers", type=int)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    print(ingest(args.file, args.dataset, args.policy, args.limit) if args.kind == "ingest"
          else scores(args.answers, args.limit))


if __name__ == "__main__":
    main()
