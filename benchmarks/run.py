"""``python -m benchmarks [--quick] [--only ingest|scores|browser] [--scale 1|10]``

Every measured case runs in a fresh subprocess (peak RSS = that process's VmHWM). Product and
baseline run alternately, so both see the same machine load; medians over ``--repeats`` runs.
Results: ``benchmarks/results/scale<N>.json`` and ``.md`` (the tables of ``README.md``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(os.environ.get("PARTNERSHIP_BENCH_DATA", "/tmp/partnership-bench-data"))
ITEMS = 20


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    return {"date": dt.date.today().isoformat(), "nproc": os.cpu_count(), "cpu": cpu,
            "free": free, "load_before": os.getloadavg(), "python": platform.python_version()}


def _case(spec: dict, timeout: float = 900, module: str = "benchmarks.cases") -> dict:
    """One case in a fresh process. A failure or timeout is returned as {"error": ...} (and
    printed) instead of raised, so one broken case does not lose the rest of the run."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load = os.getloadavg()[0]
    try:
        proc = subprocess.run([sys.executable, "-m", module, json.dumps(spec)], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        print(f"TIMEOUT after {timeout:.0f} s: {spec}", file=sys.stderr, flush=True)
        return {"error": f"timeout after {timeout:.0f} s", "load": load}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return {**json.loads(line[7:]), "load": load}
    print(f"case {spec} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}", file=sys.stderr, flush=True)
    return {"error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:300],
            "load": load}


def _median(runs: list[dict], key: str):
    values = [r[key] for r in runs if key in r and r[key] is not None]
    return statistics.median(values) if values else None


def _paired(product: list[dict], baseline: list[dict], key: str):
    """Median of the per-pair ratios (product run i / the baseline run right after it): less
    sensitive than the ratio of medians to load that changes during the run."""
    pairs = [p[key] / b[key] for p, b in zip(product, baseline) if p.get(key) and b.get(key)]
    return statistics.median(pairs) if pairs else None


def _sizes(scale: int, quick: bool, answers: list[int] | None) -> list[int]:
    if answers:
        return [a * scale for a in answers]
    return [1_000_000 * scale] if quick else [1_000_000 * scale, 5_000_000 * scale]


def data_file(kind: str, rows: int, invalid: float) -> Path:
    from benchmarks import generate

    make = generate.survey_csv if kind == "survey" else generate.issues_csv
    return generate.cached_file(DATA / f"{kind}-{rows}-{invalid:g}.csv", lambda: make(rows, invalid))


def bench_ingest(scale: int, repeats: int, quick: bool, answers: list[int] | None = None,
                 issues: bool = True) -> list[dict]:
    cases = [("survey", a // ITEMS, inv) for a in _sizes(scale, quick, answers) for inv in (0.0, 0.01)]
    if issues:
        cases += [("issues", 200_000 * scale, inv) for inv in (0.0, 0.01)]
    out = []
    for dataset, rows, invalid in cases:
        path = data_file(dataset, rows, invalid)
        policy = "valid_only" if invalid else "all_or_nothing"
        product, baseline = [], []
        for _ in range(repeats):
            product.append(_case({"kind": "ingest_product", "path": str(path), "dataset": dataset,
                                  "policy": policy}))
            baseline.append(_case({"kind": "ingest_duckdb", "path": str(path), "dataset": dataset}))
        p, b = _median(product, "seconds"), _median(baseline, "seconds")
        ok = [r for r in product if "error" not in r]
        row = {"dataset": dataset, "rows": rows, "answers": rows * ITEMS if dataset == "survey" else rows,
               "invalid": invalid, "policy": policy, "mb": round(path.stat().st_size / 2**20, 1),
               "product_s": p, "baseline_s": b, "ratio": p / b if p and b else None,
               "prepare_s": _median(product, "prepare"), "commit_s": _median(product, "commit"),
               "product_peak_mb": max((r["peak_mb"] for r in ok), default=None),
               "baseline_peak_mb": max((r["peak_mb"] for r in baseline if "error" not in r), default=None),
               "accepted": ok[0]["accepted"] if ok else None, "rejected": ok[0]["rejected"] if ok else None,
               "baseline_accepted": next((r["accepted"] for r in baseline if "error" not in r), None),
               "paired_ratio": _paired(product, baseline, "seconds"),
               "cpu_ratio": _paired(product, baseline, "cpu_seconds"),
               "runs": repeats, "product_runs": [r.get("seconds") for r in product],
               "baseline_runs": [r.get("seconds") for r in baseline],
               "load": [r["load"] for r in product + baseline],
               "errors": sorted({r["error"] for r in product + baseline if "error" in r})}
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def bench_scores(scale: int, repeats: int, quick: bool, answers: list[int] | None = None,
                 issues: bool = True) -> list[dict]:
    out = []
    for a in _sizes(scale, quick, answers):
        r = _case({"kind": "scores", "answers": a, "repeats": repeats}, timeout=1800)
        row = {"answers": a, **r, "ratio": r["product"] / r["bare"] if "error" not in r else None}
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def bench_browser(scale: int, repeats: int, quick: bool, answers: list[int] | None = None,
                  issues: bool = True, cold: list[str] | None = None, sessions: bool = True) -> list[dict]:
    """The app on a real server in headless Chromium (``benchmarks/browser.py``), one size at a time."""
    out = []
    for a in _sizes(scale, quick, answers):
        result = _case({"answers": a, "repeats": repeats, "data": str(DATA), "cold": cold, "sessions": sessions},
                       timeout=4 * 3600,
                       module="benchmarks.browser")
        row = {"answers": a, **result}
        print(json.dumps({k: v for k, v in row.items() if k != "raw"}), flush=True)
        out.append(row)
    return out


def _ms(s):
    return "–" if s is None else f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [f"Run {m['date']} on {m['nproc']} cores ({m['cpu']}), load average before the run "
             f"{', '.join(f'{x:.1f}' for x in m['load_before'])}; command: `{results['command']}`.", ""]
    if results.get("ingest"):
        lines += ["| file | answers / rows | MB | invalid | rows kept: product / DuckDB | product (prepare + commit) | DuckDB typed read_csv (+ UNPIVOT) | ratio | paired | CPU time, paired | target | peak RSS product | peak RSS DuckDB |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
        for r in results["ingest"]:
            if r["product_s"] is None or r["baseline_s"] is None:
                lines.append(f"| {r['dataset']} | {r['answers']:,} | {r['mb']} | {r['invalid']:.0%} | | "
                             f"{_ms(r['product_s'])} | {_ms(r['baseline_s'])} | – | – | – | | | (errors: {'; '.join(r['errors'])}) |")
                continue
            target = "≤ 1.5×" + (", < 1.5 GB" if r["answers"] >= 5_000_000 and r["dataset"] == "survey" else "")
            lines.append(f"| {r['dataset']} | {r['answers']:,} | {r['mb']} | {r['invalid']:.0%} ({r['rejected']} rows) | "
                         f"{r['accepted']:,} / {r.get('baseline_accepted') or 0:,} | "
                         f"{_ms(r['product_s'])} ({_ms(r['prepare_s'])} + {_ms(r['commit_s'])}) | {_ms(r['baseline_s'])} | "
                         f"**{r['ratio']:.2f}×** | {(r.get('paired_ratio') or 0):.2f}× | {(r.get('cpu_ratio') or 0):.2f}× | {target} | {r['product_peak_mb']:.0f} MB | {r['baseline_peak_mb']:.0f} MB |")
        lines.append("")
    if results.get("scores"):
        lines += ["| answers | factor_scores with suppression | bare GROUP BY | ratio | paired | groups out | suppressed | runs |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in results["scores"]:
            if "error" in r:
                lines.append(f"| {r['answers']:,} | error: {r['error']} | | | | | |")
                continue
            lines.append(f"| {r['answers']:,} | {_ms(r['product'])} | {_ms(r['bare'])} | **{r['ratio']:.2f}×** | "
                         f"{r['paired_ratio']:.2f}× | "
                         f"{r['rows_out']:,} | {r['suppressed']} | {r['runs']} |")
        lines.append("")
    for r in results.get("browser", []):
        if "error" in r:
            lines += [f"{r['answers']:,} answers: error: {r['error']}", ""]
            continue
        lines += [f"{r['answers']:,} answers ({r['partners']} partners, {r['waves']} waves, {r['milestones']:,} "
                  f"milestones, {r['issues']:,} issues), {r['repeats']} repeats; floor (empty page, warm open, "
                  f"median of {len(r['raw']['floor'])}): {_ms(r['floor_s'])}, its server's CPU "
                  f"{_ms(r.get('floor_server_cpu_s'))}; errors shown: {r['errors_shown']}", "",
                  "| what | time (median) | × floor | × warm Overview | server CPU (median) | runs | load average at each |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        to_warm = r.get("to_warm_overview", {})
        for name, f in r["figures"].items():
            if not f["runs"]:  # left out of a shorter run (--cold, --no-sessions)
                continue
            ratio = "–" if f["ratio"] is None else f"{f['ratio']:.1f}×"
            warm = f"{to_warm[name]:.1f}×" if name in to_warm else "–"
            lines.append(f"| {name} | {_ms(f['median_s'])} | {ratio} | {warm} | {_ms(f.get('server_cpu_s'))} | "
                         f"{f['runs']} | {', '.join(f'{x:g}' for x in f.get('load', []))} |")
        if r.get("ready_s"):
            lines += ["", "serve.py, start until GET /ready said ready: "
                          + ", ".join(_ms(x) for x in r["ready_s"]) + "."]
        if r.get("raw", {}).get("slider_quiet_waited_s") is not None:
            lines += ["", f"The slider steps started once the machine was quiet (waited "
                          f"{r['raw']['slider_quiet_waited_s']:.0f} s after What-if opened)."]
        if r["sessions_slowest_vs_alone"] is not None:
            lines += ["", f"Sessions opening one Overview link at once: slowest / one person alone = "
                          f"{r['sessions_slowest_vs_alone']}×."]
        if r.get("server_sessions_slowest_vs_alone") is not None:
            waited = r.get("raw", {}).get("quiet_waited_s") or []
            lines += ["", f"The same over the websocket protocol, without browsers (the server's part), each "
                          f"once the machine was quiet (waited {', '.join(f'{w:.0f} s' for w in waited)}): "
                          f"slowest / one person alone = {r['server_sessions_slowest_vs_alone']}×."]
        lines += ["",
                  "| server memory | RSS | peak |", "|---|---:|---:|"]
        lines += [f"| {when} | {m['rss_mb']} MB | {m['peak_mb']} MB |" for when, m in r["memory"].items()]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M answers only, one run each")
    parser.add_argument("--only", choices=("ingest", "scores", "browser"))
    parser.add_argument("--scale", type=int, choices=(1, 10), default=1)
    parser.add_argument("--repeats", type=int, default=None, help="runs per case (default 3, quick 1)")
    parser.add_argument("--answers", type=lambda v: [int(float(x) * 1_000_000) for x in v.split(",")],
                        default=None, help="sizes in millions of answers, e.g. 1,5 (before --scale)")
    parser.add_argument("--no-issues", action="store_true",
                        help="skip the issue-log ingest cases")
    parser.add_argument("--cold", type=lambda v: v.split(","), default=None,
                        help="browser: the pages opened first after a fresh start, e.g. what-if (default: all)")
    parser.add_argument("--no-sessions", action="store_true", help="browser: without the 15 sessions at once")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    sections = [args.only] if args.only else ["ingest", "scores", "browser"]
    command = "python -m benchmarks " + " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
    results = {"machine": machine(), "command": command.strip()}
    RESULTS.mkdir(exist_ok=True)
    name = (f"scale{args.scale}" + (f"-{args.only}" if args.only else "") + ("-quick" if args.quick else "")
            + (f"-{'+'.join(f'{a * args.scale / 1e6:g}M' for a in args.answers)}" if args.answers else "")
            + (f"-cold-{'+'.join(args.cold)}" if args.cold else "") + ("-no-sessions" if args.no_sessions else ""))
    for section in sections:
        started = time.perf_counter()
        extra = {"cold": args.cold, "sessions": not args.no_sessions} if section == "browser" else {}
        results[section] = {"ingest": bench_ingest, "scores": bench_scores, "browser": bench_browser}[section](
            args.scale, repeats, args.quick, args.answers, not args.no_issues, **extra)
        print(f"{section}: {time.perf_counter() - started:.0f} s", flush=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1))
        (RESULTS / f"{name}.md").write_text(markdown(results))
    results["machine"]["load_after"] = os.getloadavg()
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1))
    (RESULTS / f"{name}.md").write_text(markdown(results))
    print(markdown(results))
    return 0
