"""The store on DuckLake against the local DuckDB file: ingest and a warm page rerun.

``python -m benchmarks.lake [--repeats 3] [--respondents 10000] [--issues 20000] [--reruns 5]``
(from the repository root, with the project's virtualenv; the DuckLake extensions and Debian's
``postgresql`` package must be installed). In one run:

* a PostgreSQL server on loopback is started for the catalogs (``tests/pg.py``: ``initdb`` +
  ``pg_ctl`` in a temp folder, ``fsync=off``, stopped at the end), unless ``--catalog 'dbname=...
  host=... user=...'`` names an existing server (each case then gets its own database on it);
* every case runs in a fresh process on a fresh store: a new DuckDB file, or a new catalog
  database with its own data folder on the local disk. The default instrument is loaded first
  (not timed). Then, timed: ``ingest.prepare`` + ``ingest.commit`` of a generated wide survey
  (``benchmarks/generate.py``; ``--respondents`` x 20 items, 10,000 = 200k answers) and of a
  generated Jira-shaped issue log (``--issues`` rows). Then the page: ``AppTest`` of ``app.py`` on
  Overview (``app_pages/overview.py``, the default page): one
  cold run, one warm-up run, then the median of ``--reruns`` timed warm reruns back to back, and
  of ``--reruns`` more each started ``LAKE_VERSION_SECONDS`` + 0.2 s after the last (a click by
  a reader: the lake's remembered data version has lapsed, so the rerun reads it again);
* file and lake cases alternate (file, lake, file, lake, ...), so both see the same machine load;
  medians over ``--repeats``, ratios lake / file of the medians and the median of the per-pair ratios.

Below ~5,000 respondents the survey may leave out partners the issue log names, and the ingest then
asks whether a similar name is the same partner: the case fails with that question.

Results: ``benchmarks/results/lake.json`` and ``lake.md`` (machine, date, load average before and
after, every run), and the table on stdout.
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.cases import _peak_mb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
_numbers = itertools.count()


# -- one case (in its own process) ---------------------------------------------------
def run_case(spec: dict) -> dict:
    """Ingest the two files into a fresh store, then time Overview's warm rerun."""
    os.environ.update(PARTNERSHIP_DB=spec["db"], PARTNERSHIP_SALT_FILE=spec["salt"], PARTNERSHIP_DEMO="off",
                      PARTNERSHIP_UPLOAD_LIMIT_MB="100000")
    if spec.get("data_path"):
        os.environ["PARTNERSHIP_LAKE_DATA_PATH"] = spec["data_path"]
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from pipelines import ingest
    from pipelines.programme import bootstrap
    from pipelines.store import LAKE_VERSION_SECONDS, Store

    out: dict = {"load_start": os.getloadavg()[0]}
    started = time.perf_counter()
    store = Store(spec["db"])
    bootstrap.ensure_instrument(store)
    out["open_s"] = time.perf_counter() - started
    out["lake"] = store.is_lake
    for dataset, path in (("survey", spec["survey"]), ("issues", spec["issues"])):
        data = Path(path).read_bytes()
        started = time.perf_counter()
        preview = ingest.prepare(store, dataset, Path(path).name, data,
                                 ingest.Options(accept_new_partners=True))  # a generated programme's partners
        prepared = time.perf_counter()
        if preview.questions:
            raise SystemExit(f"{dataset}: questions {preview.questions}")
        result = ingest.commit(store, preview, policy="valid_only")
        done = time.perf_counter()
        out[dataset] = {"seconds": done - started, "prepare_s": prepared - started, "commit_s": done - prepared,
                        "rows_in": result.rows_in, "accepted": result.rows_accepted}
    out["ingest_s"] = out["survey"]["seconds"] + out["issues"]["seconds"]
    store.close()

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("app_pages/overview.py")
    started = time.perf_counter()
    at.run()
    out["page_cold_s"] = time.perf_counter() - started
    if at.exception:
        raise SystemExit(f"overview: {at.exception[0].value}")
    out["page_charts"] = len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))
    at.run()  # warm-up: fills the caches keyed on widget state

    def reruns(pause: float, what: str) -> list[float]:
        times = []
        for _ in range(spec["reruns"]):
            time.sleep(pause)
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
        if at.exception:
            raise SystemExit(f"overview {what}: {at.exception[0].value}")
        return times
    runs = reruns(0, "rerun")
    out["page_warm_s"], out["page_runs"] = statistics.median(runs), runs
    # a reader's next click, after the lake's remembered data version has expired
    spaced = reruns(LAKE_VERSION_SECONDS + 0.2, "spaced rerun")
    out["page_spaced_s"], out["page_spaced_runs"] = statistics.median(spaced), spaced
    out["peak_mb"], out["load_end"] = _peak_mb(), os.getloadavg()[0]
    return out


# -- the driver ----------------------------------------------------------------------
def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    memory = next((line.split(":", 1)[1].strip() for line in open("/proc/meminfo")
                   if line.startswith("MemTotal")), "?")
    import duckdb

    return {"date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "nproc": os.cpu_count(), "cpu": cpu,
            "memory": memory, "python": platform.python_version(), "duckdb": duckdb.__version__,
            "load_before": os.getloadavg()}


def _case(spec: dict, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.lake", "--case", json.dumps(spec)], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    print(f"case failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}", file=sys.stderr, flush=True)
    return {"error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:300]}


def _files(respondents: int, issues: int) -> tuple[str, str]:
    from benchmarks import generate

    folder = Path(os.environ.get("PARTNERSHIP_BENCH_DATA", "/tmp/partnership-bench-data"))
    folder.mkdir(parents=True, exist_ok=True)
    survey = folder / f"lake-survey-{respondents}.csv"
    log = folder / f"lake-issues-{issues}.csv"
    if not survey.exists():
        survey.write_bytes(generate.survey_csv(respondents))
    if not log.exists():
        log.write_bytes(generate.issues_csv(issues))
    return str(survey), str(log)


class Catalogs:
    """A fresh catalog database per lake case: on our own loopback server, or on --catalog."""

    def __init__(self, dsn: str | None):
        self.server = None
        self.base = dsn
        if dsn is None:
            sys.path.insert(0, str(ROOT / "tests"))
            import pg

            self.server = pg.PostgresServer().start()

    def new(self) -> str:
        name = f"bench_lake_{os.getpid()}_{next(_numbers)}"
        if self.server:
            return self.server.create_database(name)
        # a database on the server named by --catalog (its user needs CREATEDB)
        subprocess.run(["psql", self.base, "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"],
                       check=True, capture_output=True, text=True, timeout=60)
        parts = [p for p in self.base.split() if not p.startswith("dbname=")]
        return " ".join([f"dbname={name}", *parts])

    def close(self) -> None:
        if self.server:
            self.server.stop()


def _median(runs: list[dict], *path: str):
    values = []
    for run in runs:
        value = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            values.append(value)
    return statistics.median(values) if values else None


def report(results: dict) -> str:
    m = results["machine"]
    file_runs = [r for r in results["file"] if "error" not in r]
    lake_runs = [r for r in results["lake"] if "error" not in r]
    lines = [
        f"`{results['command']}` — {m['date']}, {m['nproc']} cores, {m['cpu']}, {m['memory']} RAM, "
        f"Python {m['python']}, DuckDB {m['duckdb']}; load average (1/5/15 min) "
        f"{'/'.join(f'{x:.1f}' for x in m['load_before'])} before, "
        f"{'/'.join(f'{x:.1f}' for x in m['load_after'])} after. "
        f"{results['respondents']:,} respondents = {results['respondents'] * 20:,} answers; "
        f"{results['issues']:,}-row issue log; {len(file_runs)} file and {len(lake_runs)} lake runs "
        f"(errors: {len(results['file']) - len(file_runs)} file, {len(results['lake']) - len(lake_runs)} lake).",
        "",
        "| measure | local DuckDB file | DuckLake (PostgreSQL catalog, local data path) | lake / file | per-pair ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    measures = [("ingest: survey prepare + commit", ("survey", "seconds")),
                ("&nbsp;&nbsp;of which prepare", ("survey", "prepare_s")),
                ("&nbsp;&nbsp;of which commit", ("survey", "commit_s")),
                ("ingest: issue log prepare + commit", ("issues", "seconds")),
                ("&nbsp;&nbsp;of which commit", ("issues", "commit_s")),
                ("ingest: both files", ("ingest_s",)),
                ("Overview: cold run (AppTest)", ("page_cold_s",)),
                ("Overview: warm rerun (AppTest)", ("page_warm_s",)),
                ("Overview: warm rerun, data version read again", ("page_spaced_s",)),
                ("open store + default instrument (not in ingest)", ("open_s",))]
    pairs = list(zip(results["file"], results["lake"]))
    for label, path in measures:
        f, k = _median(file_runs, *path), _median(lake_runs, *path)
        ratios = []
        for a, b in pairs:
            x, y = _median([a], *path) if "error" not in a else None, _median([b], *path) if "error" not in b else None
            if x and y:
                ratios.append(y / x)
        cell = lambda v: "—" if v is None else (f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s")  # noqa: E731
        ratio = f"**{k / f:.2f}×**" if f and k else "—"
        paired = f"{statistics.median(ratios):.2f}×" if ratios else "—"
        lines.append(f"| {label} | {cell(f)} | {cell(k)} | {ratio} | {paired} |")
    lines += ["", "Load average (1 min) at the start of each case, file / lake: " + ", ".join(
        f"{a.get('load_start', float('nan')):.1f} / {b.get('load_start', float('nan')):.1f}" for a, b in pairs) + "."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lake", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--respondents", type=int, default=10_000, help="survey respondents (x20 answers)")
    parser.add_argument("--issues", type=int, default=20_000, help="issue log rows")
    parser.add_argument("--reruns", type=int, default=5, help="timed warm reruns of the page per case")
    parser.add_argument("--catalog", help="libpq connection of an existing PostgreSQL server to create "
                        "the catalogs on (default: start one on loopback)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per case")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:
        print("RESULT " + json.dumps(run_case(json.loads(args.case))), flush=True)
        return 0

    command = "python -m benchmarks.lake " + " ".join(argv if argv is not None else sys.argv[1:])
    results = {"machine": machine(), "command": command.strip(), "respondents": args.respondents,
               "issues": args.issues, "file": [], "lake": []}
    survey, log = _files(args.respondents, args.issues)
    work = Path(tempfile.mkdtemp(prefix="bench-lake-"))
    catalogs = Catalogs(args.catalog)
    try:
        for repeat in range(args.repeats):
            for kind in ("file", "lake"):
                folder = work / f"{kind}-{repeat}"
                folder.mkdir()
                spec = {"survey": survey, "issues": log, "salt": str(folder / "salt"), "reruns": args.reruns}
                if kind == "file":
                    spec["db"] = str(folder / "programme.duckdb")
                else:
                    spec["db"] = f"ducklake:postgres:{catalogs.new()}"
                    spec["data_path"] = str(folder / "lake-data")
                outcome = _case(spec, args.timeout)
                results[kind].append(outcome)
                print(f"{kind} {repeat + 1}/{args.repeats}: " + json.dumps(
                    {k: v for k, v in outcome.items() if not k.endswith("_runs")}), file=sys.stderr, flush=True)
    finally:
        catalogs.close()
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["load_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lake.json").write_text(json.dumps(results, indent=1))
    table = report(results)
    (RESULTS / "lake.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
