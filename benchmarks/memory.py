"""The server's memory as pinned links are opened (issue #22 item 5: flat in pins).

``python -m benchmarks.memory [--answers 1] [--pins 8] [--script serve.py]`` loads the browser
benchmark's generated programme (``benchmarks/browser.py``: ``answers`` million answers over 200
partners, then the schedule, the issue log, the latest wave, and ``pins - 4`` more issue-log
exports, one version each), serves ``--script`` on loopback, opens Overview and What-if of the
latest data in headless Chromium, then Overview and What-if pinned to each older version in turn
(newest first), and reads the server's resident memory (``VmRSS``, ``VmHWM``) after each: at once,
and settled (the idle server's once it stops giving memory back). Prints a table and
``RESULT {json}``. Times are not the point here.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import browser  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402

BASE = ("survey-earlier", "milestones", "issues", "survey-latest")
_CACHE_BYTES = re.compile(r'^cache_memory_bytes\{cache_type="(\w+)",cache="([^"]+)"\} (\d+)', re.M)


def cache_mb(server) -> dict:
    """Streamlit's own count of each cache's bytes (``/_stcore/metrics``; at most 5 s old), MB."""
    with urllib.request.urlopen(f"{server.url}/_stcore/metrics?families=cache_memory_bytes", timeout=60) as answer:
        text = answer.read().decode()
    sizes: dict = {}
    for kind, name, size in _CACHE_BYTES.findall(text):
        key = f"{kind}:{name.rsplit('.', 1)[-1]}"
        sizes[key] = sizes.get(key, 0) + int(size)
    return {key: round(size / 2**20, 1) for key, size in sorted(sizes.items())}


def settled(server, quiet: int = 5, at_most: int = 120) -> dict:
    """Resident memory once the idle server stops giving memory back: DuckDB's allocator returns a
    query's working memory some seconds after it ends (a 5M pinned view: ~400 MB within 5 s), so
    the figure read at once is a moment's, not what the server keeps. Sampled each second until
    ``quiet`` samples in a row are no lower than the lowest so far (at most ``at_most`` samples)."""
    import time

    lowest, calm = server.memory_mb()["rss_mb"], 0
    for _ in range(at_most):
        time.sleep(1)
        now = server.memory_mb()["rss_mb"]
        calm = calm + 1 if now >= lowest else 0
        lowest = min(lowest, now)
        if calm >= quiet:
            break
    return {"settled_mb": lowest}


async def opened(script: Path, env: dict, work: Path, labels: list[str]) -> list[dict]:
    from playwright.async_api import async_playwright

    rows = []
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        with browser.serving(script, env, work, ready=script.name == "serve.py") as server:
            rows.append({"after": "start", **server.memory_mb()})
            for n, label in enumerate([None, *labels]):
                query = "" if label is None else "?" + urllib.parse.urlencode({"asof": label})
                errors = 0
                for page in ("overview", "what-if"):
                    errors += (await browser.open_link(chromium, server, browser.PATHS[page] + query))["errors"]
                at_once = server.memory_mb()
                rows.append({"after": "latest data" if label is None else f"{n} pinned versions",
                             "pin": label, "errors": errors, **at_once, **settled(server),
                             "caches_mb": cache_mb(server)})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
        await chromium.close()
    return rows


def measure(answers: int, pins: int, script: str, data: str) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PARTNERSHIP_DB": str(work / "programme.duckdb"),
           "PARTNERSHIP_SALT_FILE": str(work / "salt"), "PARTNERSHIP_DEMO": "off",
           "PARTNERSHIP_UPLOAD_LIMIT_MB": "100000"}
    refreshes = max(pins - len(BASE) + 1, 0)
    files = browser.programme_files(Path(data), answers, refreshes)
    for name in [*BASE, *(f"issues-refresh-{n}" for n in range(1, refreshes + 1))]:
        browser.cli_load(env, *files[name])
    labels = browser.version_labels(env)[1:pins + 1]  # newest first; the newest is the latest data
    rows = asyncio.run(opened(ROOT / script, env, work, labels))
    return {"answers": answers, "waves": browser.WAVES.get(answers, 12), "script": script, "pins": len(labels),
            "load": os.getloadavg(), "rows": rows}


def main() -> int:
    from benchmarks.run import DATA

    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=float, default=1.0, help="millions of answers (default 1)")
    parser.add_argument("--pins", type=int, default=8, help="older versions to pin, newest first (default 8)")
    parser.add_argument("--script", default="serve.py", help="the app script served (default serve.py)")
    args = parser.parse_args()
    result = measure(int(args.answers * 1_000_000), args.pins, args.script, str(DATA))
    print("| after | RSS at once | RSS settled | peak | st.cache_data, all | largest caches (MB) | errors shown |\n"
          "|---|---:|---:|---:|---:|---|---:|")
    for row in result["rows"]:
        caches = row.get("caches_mb", {})
        data = sum(v for k, v in caches.items() if k.startswith("st_cache_data"))
        largest = ", ".join(f"{k.split(':')[1]} {v}" for k, v in sorted(caches.items(), key=lambda kv: -kv[1])[:3])
        print(f"| {row['after']} | {row['rss_mb']} MB | {row.get('settled_mb', '')} MB | {row['peak_mb']} MB | "
              f"{data:.1f} MB | {largest} | "
              f"{row.get('errors', '')} |")
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
