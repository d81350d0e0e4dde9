"""One measured case per process, so peak memory (VmHWM) belongs to that case alone.

``python -m benchmarks.cases '<json spec>'`` prints one JSON line: seconds and peak RSS (MB).
"""
from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time


def _cpu() -> float:
    """CPU seconds of this process, all threads: steadier than wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")


def ingest_product(path: str, dataset: str, policy: str) -> dict:
    """read -> map -> validate -> load through ingest.prepare + ingest.commit into a fresh Store."""
    work = tempfile.mkdtemp(prefix="bench-ingest-")
    os.environ["PARTNERSHIP_SALT_FILE"] = os.path.join(work, "salt")
    os.environ["PARTNERSHIP_DEMO"] = "off"
    os.environ["PARTNERSHIP_UPLOAD_LIMIT_MB"] = "100000"
    from pipelines import ingest
    from pipelines.programme import bootstrap
    from pipelines.store import Store

    store = Store(os.path.join(work, "programme.duckdb"))
    bootstrap.ensure_instrument(store)
    base = _peak_mb()
    cpu = _cpu()
    started = time.perf_counter()
    with open(path, "rb") as handle:
        data = handle.read()
    preview = ingest.prepare(store, dataset, os.path.basename(path), data,
                             ingest.Options(accept_new_partners=True))  # a generated programme's partners
    prepared = time.perf_counter()
    if preview.questions:
        raise SystemExit(f"questions: {preview.questions}")
    result = ingest.commit(store, preview, policy=policy)
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": seconds, "cpu_seconds": _cpu() - cpu, "prepare": prepared - started, "commit": seconds - (prepared - started),
            "peak_mb": _peak_mb(), "before_mb": base, "rows_in": result.rows_in,
            "accepted": result.rows_accepted, "rejected": result.rows_rejected}


def ingest_duckdb(path: str, dataset: str) -> dict:
    """DuckDB's own read_csv into a table, then (survey) the plain SQL UNPIVOT to long form."""
    import duckdb

    work = tempfile.mkdtemp(prefix="bench-duckdb-")
    con = duckdb.connect(os.path.join(work, "baseline.duckdb"))
    base = _peak_mb()
    cpu = _cpu()
    started = time.perf_counter()
    con.execute("CREATE TABLE wide AS SELECT * FROM read_csv(?, store_rejects = true)", [path])
    if dataset == "survey":
        keys = '"Respondent ID", "Organisation", "Response date"'
        types = {t for name, t, *_ in con.execute("DESCRIBE wide").fetchall()
                 if name not in ("Respondent ID", "Organisation", "Response date")}
        # with bad cells the sniffer types some item columns VARCHAR: UNPIVOT needs one type
        source = "wide" if len(types) == 1 else (
            f"(SELECT {keys}, COLUMNS(* EXCLUDE ({keys}))::VARCHAR FROM wide)")
        con.execute(f"""CREATE TABLE long AS SELECT * FROM (UNPIVOT {source}
            ON COLUMNS(* EXCLUDE ({keys})) INTO NAME item_id VALUE value)""")
        rows = con.execute("SELECT count(*) FROM long").fetchone()[0]
    else:
        rows = con.execute("SELECT count(*) FROM wide").fetchone()[0]
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds, "cpu_seconds": _cpu() - cpu, "peak_mb": _peak_mb(), "before_mb": base,
            "rows": rows}


def scores(answers: int, repeats: int) -> dict:
    """factor_scores (suppression included) vs a bare GROUP BY, interleaved, on one store."""
    import statistics

    work = tempfile.mkdtemp(prefix="bench-scores-")
    os.environ["PARTNERSHIP_SALT_FILE"] = os.path.join(work, "salt")
    os.environ["PARTNERSHIP_DEMO"] = "off"
    from benchmarks import generate
    from pipelines.programme import bootstrap
    from pipelines.query import scores as query
    from pipelines.store import Store

    store = Store(os.path.join(work, "programme.duckdb"))
    bootstrap.ensure_instrument(store)
    t = time.perf_counter()
    with store.write() as cursor:
        generate.insert_long_rows(cursor, answers)
    setup = time.perf_counter() - t
    cursor = store.cursor()
    bare_sql = """SELECT r.partner_id, r.wave, i.factor, avg(r.value) AS mean, count(*) AS n
        FROM survey_responses r JOIN instrument_items i ON i.item_id = r.item_id AND i.current
        WHERE r.current GROUP BY r.partner_id, r.wave, i.factor"""
    product, bare = [], []
    frame = query.factor_scores(cursor)  # warm DuckDB's caches for both
    cursor.execute(bare_sql).df()
    for _ in range(repeats):
        t = time.perf_counter()
        frame = query.factor_scores(cursor)
        product.append(time.perf_counter() - t)
        t = time.perf_counter()
        groups = cursor.execute(bare_sql).df()
        bare.append(time.perf_counter() - t)
    return {"product": statistics.median(product), "bare": statistics.median(bare), "setup": setup,
            "paired_ratio": statistics.median(p / b for p, b in zip(product, bare)),
            "product_runs": product, "bare_runs": bare,
            "rows_out": len(frame), "groups": len(groups), "suppressed": int(frame["suppressed"].sum()),
            "runs": repeats, "peak_mb": _peak_mb()}


def main() -> None:
    spec = json.loads(sys.argv[1])
    kind = spec.pop("kind")
    out = {"ingest_product": ingest_product, "ingest_duckdb": ingest_duckdb, "scores": scores}[kind](**spec)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
