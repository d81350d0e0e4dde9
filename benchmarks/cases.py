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


SURVEY_KEYS = ("Respondent ID", "Organisation", "Response date")  # generate.survey_frame's columns
ISSUE_TYPES = {"Issue key": "VARCHAR", "Summary": "VARCHAR", "Issue Type": "VARCHAR", "Raised by": "VARCHAR",
               "Owned by": "VARCHAR", "Created": "DATE", "Resolved": "DATE", "Priority": "VARCHAR",
               "Status": "VARCHAR", "Escalated": "BOOLEAN"}  # generate.issues_csv's columns


def _typed_read(path: str, types: dict[str, str]) -> str:
    """read_csv of a generated file with its dialect and column types given (nothing to sniff);
    a row with a cell that does not fit its type goes to the rejects table, not the result."""
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in types.items()) + "}"
    return (f"read_csv('{path}', header = true, delim = ',', quote = '\"', escape = '\"', auto_detect = false, "
            f"columns = {columns}, dateformat = '%Y-%m-%d', store_rejects = true)")


def baseline_sql(path: str, dataset: str) -> str:
    """The cheapest correct DuckDB-only way to do the product's work on a generated file, typed:
    read it, keep the rows the product's ``valid_only`` policy keeps (every cell of its type,
    answers on the 1-5 scale; severities the product knows, resolved not before raised), and
    (survey) unpivot the answers to one row per answer (skipped answers left out)."""
    from pipelines.ingest.values import SEVERITY_LABELS
    from pipelines.programme.instrument import default_item_ids

    if dataset == "survey":
        keys = ", ".join(f'"{k}"' for k in SURVEY_KEYS)
        items = f"COLUMNS(* EXCLUDE ({keys}))"
        types = {**{k: "VARCHAR" for k in SURVEY_KEYS}, "Response date": "DATE",
                 **{item: "TINYINT" for item in default_item_ids()}}
        return f"""CREATE TABLE answers AS SELECT * FROM (UNPIVOT (
            SELECT * FROM {_typed_read(path, types)} WHERE coalesce({items} BETWEEN 1 AND 5, true)
        ) ON {items} INTO NAME item_id VALUE value)"""
    severities = ", ".join(f"('{word}', '{label}')" for word, label in SEVERITY_LABELS.items())
    return f"""CREATE TABLE issues AS
        SELECT r.* EXCLUDE ("Priority"), s.severity
        FROM {_typed_read(path, ISSUE_TYPES)} r
        LEFT JOIN (VALUES {severities}) s(word, severity) ON s.word = lower(trim(r."Priority"))
        WHERE (r."Priority" IS NULL OR s.severity IS NOT NULL)
          AND (r."Resolved" IS NULL OR r."Resolved" >= r."Created")"""


def ingest_duckdb(path: str, dataset: str) -> dict:
    """``baseline_sql`` into a fresh database: the baseline of the ingest figures."""
    import duckdb

    work = tempfile.mkdtemp(prefix="bench-duckdb-")
    con = duckdb.connect(os.path.join(work, "baseline.duckdb"))
    sql = baseline_sql(path, dataset)
    base = _peak_mb()
    cpu = _cpu()
    started = time.perf_counter()
    con.execute(sql)
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu() - cpu
    if dataset == "survey":  # rows (respondents) kept, as the product counts them
        accepted = con.execute('SELECT count(DISTINCT "Respondent ID") FROM answers').fetchone()[0]
        rows = con.execute("SELECT count(*) FROM answers").fetchone()[0]
    else:
        accepted = rows = con.execute("SELECT count(*) FROM issues").fetchone()[0]
    con.close()
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mb": _peak_mb(), "before_mb": base,
            "rows": rows, "accepted": accepted}


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
