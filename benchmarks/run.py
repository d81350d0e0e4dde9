"""``python -m benchmarks [--quick] [--only ingest|scores|pages] [--scale 1|10]``

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

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{kind}-{rows}-{invalid:g}.csv"
    if not path.exists():
        data = generate.survey_csv(rows, invalid) if kind == "survey" else generate.issues_csv(rows, invalid)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.rename(path)
    return path


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


def bench_pages(scale: int, repeats: int, quick: bool, answers: list[int] | None = None,
                issues: bool = True) -> list[dict]:
    issues_path = data_file("issues", 200_000 * scale, 0.0) if issues else None
    out = []
    for a in _sizes(scale, quick, answers):
        spec = {"answers": a, "reruns": repeats, "issues_csv": str(issues_path) if issues_path else None}
        result = _case(spec, timeout=3000, module="benchmarks.pages")
        row = {"answers": a, **result, "pages": result.get("pages", {})}
        print(json.dumps(row), flush=True)
        out.append(row)
    return out


def _ms(s):
    return "–" if s is None else f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [f"Run {m['date']} on {m['nproc']} cores ({m['cpu']}), load average before the run "
             f"{', '.join(f'{x:.1f}' for x in m['load_before'])}; command: `{results['command']}`.", ""]
    if results.get("ingest"):
        lines += ["| file | answers / rows | MB | invalid | product (prepare + commit) | DuckDB read_csv (+ UNPIVOT) | ratio | paired | CPU time, paired | target | peak RSS product | peak RSS DuckDB |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
        for r in results["ingest"]:
            if r["product_s"] is None or r["baseline_s"] is None:
                lines.append(f"| {r['dataset']} | {r['answers']:,} | {r['mb']} | {r['invalid']:.0%} | "
                             f"{_ms(r['product_s'])} | {_ms(r['baseline_s'])} | – | – | – | | | (errors: {'; '.join(r['errors'])}) |")
                continue
            target = "≤ 2×" + (" , < 1.5 GB" if r["answers"] >= 5_000_000 and r["dataset"] == "survey" else "")
            lines.append(f"| {r['dataset']} | {r['answers']:,} | {r['mb']} | {r['invalid']:.0%} ({r['rejected']} rows) | "
                         f"{_ms(r['product_s'])} ({_ms(r['prepare_s'])} + {_ms(r['commit_s'])}) | {_ms(r['baseline_s'])} | "
                         f"**{r['ratio']:.1f}×** | {(r.get('paired_ratio') or 0):.1f}× | {(r.get('cpu_ratio') or 0):.1f}× | {target} | {r['product_peak_mb']:.0f} MB | {r['baseline_peak_mb']:.0f} MB |")
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
    if results.get("pages"):
        lines += ["| answers | page | cold run | warm rerun | charts-alone floor (build + draw) | ratio | paired | draw cached specs only | ratio | charts | what-if slider move |",
                  "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
        for r in results["pages"]:
            for path, p in r["pages"].items():
                ratio = f"{p['warm_s'] / p['floor_s']:.2f}×" if p.get("floor_s") and p.get("warm_s") else "–"
                paired = f"{p['paired_ratio']:.2f}×" if p.get("paired_ratio") else "–"
                sratio = f"{p['warm_s'] / p['spec_floor_s']:.2f}×" if p.get("spec_floor_s") and p.get("warm_s") else "–"
                lines.append(f"| {r['answers']:,} | {path}{' (error: ' + p['error'] + ')' if p.get('error') else ''} | "
                             f"{_ms(p.get('cold_s'))} | {_ms(p['warm_s'])} | {_ms(p.get('floor_s'))} | {ratio} | {paired} | "
                             f"{_ms(p.get('spec_floor_s'))} | {sratio} | "
                             f"{', '.join(p.get('charts', [])) or '–'} | {_ms(p.get('slider_move_s')) if p.get('slider_move_s') else p.get('slider_error', '–')} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M answers only, one run each")
    parser.add_argument("--only", choices=("ingest", "scores", "pages"))
    parser.add_argument("--scale", type=int, choices=(1, 10), default=1)
    parser.add_argument("--repeats", type=int, default=None, help="runs per case (default 3, quick 1)")
    parser.add_argument("--answers", type=lambda v: [int(float(x) * 1_000_000) for x in v.split(",")],
                        default=None, help="sizes in millions of answers, e.g. 1,5 (before --scale)")
    parser.add_argument("--no-issues", action="store_true",
                        help="skip the issue-log ingest cases and the issue log of the pages' store")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    sections = [args.only] if args.only else ["ingest", "scores", "pages"]
    command = "python -m benchmarks " + " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
    results = {"machine": machine(), "command": command.strip()}
    RESULTS.mkdir(exist_ok=True)
    name = (f"scale{args.scale}" + (f"-{args.only}" if args.only else "") + ("-quick" if args.quick else "")
            + (f"-{'+'.join(f'{a * args.scale / 1e6:g}M' for a in args.answers)}" if args.answers else ""))
    for section in sections:
        started = time.perf_counter()
        results[section] = {"ingest": bench_ingest, "scores": bench_scores, "pages": bench_pages}[section](
            args.scale, repeats, args.quick, args.answers, not args.no_issues)
        print(f"{section}: {time.perf_counter() - started:.0f} s", flush=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1))
        (RESULTS / f"{name}.md").write_text(markdown(results))
    results["machine"]["load_after"] = os.getloadavg()
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1))
    (RESULTS / f"{name}.md").write_text(markdown(results))
    print(markdown(results))
    return 0
