"""Speed as a director feels it: the app on a real server, its links opened in headless Chromium.

``python -m benchmarks --only browser [--answers 1,5] [--repeats N]`` runs one case per size
(``python -m benchmarks.browser '<json spec>'``, a fresh process). A case:

1. writes a generated programme (``benchmarks/generate.py``, cached under the benchmarks' data
   folder): the survey (``answers`` / 20 respondents, 200 partners, quarterly waves) as two
   exports (all waves but the latest; the latest), an MS Project schedule and a Jira-like issue
   log; and loads them with the command line (``python -m pipelines load``, ``--mapping`` for the
   schedule's owner column), one batch each, so the store has versions to pin;
2. serves ``serve.py`` (the app as ``./run app`` serves it) and ``benchmarks/empty_app.py`` (the
   floor: a one-line Streamlit page) with ``streamlit run`` on loopback, and opens links in headless Chromium (Debian's
   ``/usr/bin/chromium`` with the flags of ``tests/conftest.py``), each in a new browser context
   (a new session, as when someone opens a link from the meeting chat).

Every figure is the time from opening a link until the script run has finished: the page waits
as ``tests/conftest.py:wait_for_app`` does (``[data-testid="stApp"]`` with
``data-test-script-state="notRunning"``, still so after ``SETTLE_MS``), and the figure is the time,
measured in the page from its navigation start, of the app's last change to ``notRunning``.
Each is also given as a ratio to the floor: the empty page opened the same way in the same run,
its opens interleaved with the app's so both see the same machine load. Measured:

* cold: each page's link opened first after a fresh server start (the server is restarted
  for every page and repeat), three ways (``COLD_ENTRIES``): ``serve.py`` opened as soon as its
  health check answers; ``serve.py`` opened once ``GET /ready`` says ready (as a load balancer
  sends people to a new replica; the time until then is ``ready_s``); ``streamlit run app.py``
  (no start hook: the first session opens the store and starts the warm-up);
* warm: each page's link opened again on a server whose caches are warm;
* a slider step on What-if: an arrow key on a factor slider until the rerun has finished;
* ``SESSIONS`` browser sessions opening the same Overview link at once (slowest and median), after
  one person alone opened it; and the same on the empty page; the same meeting with the others'
  browsers elsewhere (``open_among``: one Chromium session, the last to reach the server, among
  ``SESSIONS - 1`` over the websocket): what the last director to arrive waits;
* after a load (``python -m pipelines load`` of a refreshed issue log, handed to the running app):
  What-if, then Overview, opened first;
* pinned links: Overview and What-if pinned to each of the ``PINS`` versions before that load;
* the server's resident memory (VmRSS) after the warm opens, after the load, and after opening two
  and four pinned versions.

Prints ``RESULT {json}``: every sample with the load average at its start, medians and ratios.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import generate, sessions as protocol  # noqa: E402
from benchmarks.nagle import _free_port, _stop  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_FLAGS, streamlit_run, wait_healthy  # noqa: E402

PAGES = ("overview", "partner", "compare", "what-if", "data")  # app.py's url paths
# the link of each page: the default page's is the app's root (Streamlit 1.67 answers
# /overview with "Page not found" and runs the default page)
PATHS = {name: "" if name == "overview" else name for name in PAGES}
WAVES = {1_000_000: 12, 5_000_000: 40}  # quarterly waves per size; other sizes: 12
MILESTONES, ISSUES = 7_200, 14_400
SESSIONS = 15
# the first open after a fresh start, besides "cold" (serve.py, the link opened as soon as the
# server answers its health check): key -> (script served, opened once GET /ready says 200)
COLD_ENTRIES = {"cold_ready": ("serve.py", True), "cold_app_py": ("app.py", False)}
PINS = 4
SLIDER_STEPS = 15  # a median steady across runs (7 moved by tens of ms with the machine)
SETTLE_MS = 500
VIEWPORT = {"width": 1400, "height": 1000}
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# every change of the app's script state, timed from the navigation start (performance.now()),
# and when each key reached the page (a slider step starts there, not when Playwright was asked)
RECORD_STATES = """
window.__states = [];
new MutationObserver(changes => {
    for (const c of changes) window.__states.push([performance.now(), c.target.getAttribute('data-test-script-state')]);
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
window.__keys = [];
window.addEventListener('keydown', () => window.__keys.push(performance.now()), true);
"""


# -- the programme ------------------------------------------------------------------------------

def programme_files(data: Path, answers: int, refreshes: int) -> dict:
    """The exports to load (cached in ``data``): name -> (path, dataset, mapping path or None)."""
    waves = WAVES.get(answers, 12)
    respondents = answers // len(generate.default_item_ids())
    first = generate.wave_starts(waves)[0]
    latest = generate.wave_starts(waves)[-1]
    tag = f"{answers // 1000}k-{waves}w"

    def survey(part: str) -> bytes:
        frame = generate.survey_frame(respondents, waves=waves)
        newest = frame["Response date"] >= latest.isoformat()
        return generate.to_csv(frame[newest if part == "latest" else ~newest])

    files = {
        "survey-earlier": (f"survey-{tag}-earlier.csv", "survey", lambda: survey("earlier")),
        "milestones": (f"milestones-{MILESTONES}-{tag}.csv", "milestones",
                       lambda: generate.milestones_csv(MILESTONES, first=first)),
        "issues": (f"issues-{ISSUES}-{tag}.csv", "issues", lambda: generate.issues_csv(ISSUES, first=first)),
        "survey-latest": (f"survey-{tag}-latest.csv", "survey", lambda: survey("latest")),
    }
    for n in range(1, refreshes + 1):  # the issue log exported again: the loads while the app runs
        files[f"issues-refresh-{n}"] = (
            f"issues-{ISSUES}-{tag}-refresh{n}.csv", "issues",
            lambda n=n: generate.issues_csv(ISSUES, seed=generate.SEED + 100 + n, first=first))
    out = {}
    for name, (file, dataset, make) in files.items():
        path = generate.cached_file(data / file, make)
        mapping = None
        if dataset == "milestones":  # MS Project's "Resource Names" is the owner: said once, as a user would
            mapping = data / f"{file}.mapping.json"
            mapping.write_text(json.dumps({"milestone_id": "ID", "title": "Name", "owners": "Resource Names",
                                           "baseline_date": "Baseline Finish", "forecast_date": "Finish",
                                           "actual_date": "Actual Finish"}))
        out[name] = (path, dataset, mapping)
    return out


def cli_load(env: dict, path: Path, dataset: str, mapping: Path | None) -> float:
    """``python -m pipelines load``: seconds (handed to the app when it holds the store)."""
    command = [sys.executable, "-m", "pipelines", "load", str(path), "--dataset", dataset]
    if mapping:
        command += ["--mapping", str(mapping)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"load of {path.name} exited {done.returncode}: {done.stderr[-2000:]}")
    return time.perf_counter() - started


def version_labels(env: dict) -> list[str]:
    """The store's version labels, newest first (as the as-of pin writes them into links)."""
    code = ("from pipelines.store import Store, db_path, versions\n"
            "store = Store(db_path()); print(__import__('json').dumps(list(versions.labels(store.cursor()).values())))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    return json.loads(done.stdout)


# -- servers ------------------------------------------------------------------------------------

class Server:
    """``streamlit run script`` on a loopback port, as the tests start the app; with ``ready``, it
    counts as started once ``GET /ready`` answers 200 (as a load balancer sends people to it)."""

    def __init__(self, script: Path, env: dict, logs: Path, ready: bool = False):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(logs / f"{script.stem}-{self.port}.log", "w")
        started = time.perf_counter()
        self.process = streamlit_run(script, self.port, env, self.log)
        if wait_healthy(self.url, 180) and (not ready or wait_healthy(self.url, 900, "/ready")):
            self.start_s = time.perf_counter() - started
            return
        self.stop()
        raise RuntimeError(f"{script.name} did not start")

    def memory_mb(self) -> dict:
        """Resident memory now and at its peak (VmRSS, VmHWM), MB."""
        fields = {}
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    fields[name] = round(int(value.split()[0]) / 1024)
        return {"rss_mb": fields["VmRSS"], "peak_mb": fields["VmHWM"]}

    def cpu_s(self) -> float:
        """CPU seconds the server has used so far, all its threads (utime + stime in /proc)."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def link(self, path: str = "") -> str:
        return f"{self.url}/{path}"

    def stop(self) -> None:
        _stop(self.process)
        self.log.close()


@contextlib.contextmanager
def serving(script: Path, env: dict, logs: Path, ready: bool = False):
    server = Server(script, env, logs, ready)
    try:
        yield server
    finally:
        server.stop()


# -- opening links ------------------------------------------------------------------------------

QUIET_BUSY = 0.15   # the machine is quiet when its cores are this busy or less over QUIET_WINDOW_S
QUIET_WINDOW_S = 1.0
QUIET_MAX_S = 60.0


def _busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


async def quiet() -> float:
    """Wait until the machine is quiet (browsers closed and done, the server idle): the server-only
    sessions measure the server's part, which Chromium's leftover work from the sessions before
    them (load 15-18) moved as much as any change did; the slider steps what one director's own
    browser does. Seconds waited (at most QUIET_MAX_S)."""
    start = time.monotonic()
    while time.monotonic() - start < QUIET_MAX_S:
        busy, total = _busy_jiffies()
        await asyncio.sleep(QUIET_WINDOW_S)
        busy_after, total_after = _busy_jiffies()
        if (busy_after - busy) <= QUIET_BUSY * max(total_after - total, 1):
            break
    return time.monotonic() - start


def _sample(seconds: float, **extra) -> dict:
    return {"s": seconds, "load": os.getloadavg()[0], **extra}


async def finished(page, after: int = 0, timeout_s: float = 900) -> dict:
    """When the page's last script run finished, waiting as ``tests/conftest.py:wait_for_app``
    does (``notRunning``, still so ``SETTLE_MS`` later), in seconds from its navigation start
    (``s``); ``run_s``: from the first ``running`` (the server has the session's request) to then.
    ``after``: only state changes from that index of ``window.__states`` on count."""
    deadline = time.monotonic() + timeout_s
    while True:
        await page.wait_for_selector(DONE, timeout=max(deadline - time.monotonic(), 1) * 1000)
        states, now = await page.evaluate(f"[window.__states.slice({after}), performance.now()]")
        if states and states[-1][1] == "notRunning" and now - states[-1][0] >= SETTLE_MS:
            running = next((t for t, state in states if state == "running"), states[-1][0])
            return {"s": states[-1][0] / 1000, "run_s": (states[-1][0] - running) / 1000}
        if time.monotonic() > deadline:
            raise TimeoutError(f"the script state did not settle: {states[-5:]}")
        await page.wait_for_timeout(100)


async def new_page(browser):
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(RECORD_STATES)
    return context, await context.new_page()


async def _errors(page) -> int:
    """What went wrong on screen: exceptions shown, and Streamlit's "Page not found"."""
    return (await page.locator('[data-testid="stException"]').count()
            + await page.get_by_text("Page not found").count())


async def open_link(browser, server: Server, path: str = "", keep: bool = False):
    """Open the server's ``path`` in a new session: a sample (seconds, the server's CPU seconds
    meanwhile, load average, errors shown); with ``keep``, also the still open (context, page)."""
    load, cpu = os.getloadavg()[0], server.cpu_s()
    context, page = await new_page(browser)
    await page.goto(server.link(path), wait_until="commit")
    sample = {**await finished(page), "server_cpu_s": server.cpu_s() - cpu, "load": load,
              "errors": await _errors(page)}
    if keep:
        return sample, (context, page)
    await context.close()
    return sample


async def open_at_once(browser, server: Server, path: str, sessions: int) -> dict:
    """``sessions`` new sessions open the server's ``path`` at the same moment."""
    load = os.getloadavg()[0]
    opened = [await new_page(browser) for _ in range(sessions)]
    cpu = server.cpu_s()
    await asyncio.gather(*(page.goto(server.link(path), wait_until="commit") for _, page in opened))
    done = await asyncio.gather(*(finished(page) for _, page in opened))
    cpu = server.cpu_s() - cpu
    origins = [await page.evaluate("performance.timeOrigin") for _, page in opened]
    errors = sum([await _errors(page) for _, page in opened])
    for context, _ in opened:
        await context.close()
    seconds, runs = [d["s"] for d in done], [d["run_s"] for d in done]
    return {"slowest_s": max(seconds), "median_s": statistics.median(seconds), "all_s": sorted(seconds),
            "run_slowest_s": max(runs), "run_median_s": statistics.median(runs), "server_cpu_s": cpu,
            "start_spread_ms": max(origins) - min(origins), "load": load, "errors": errors}


async def open_among(browser, server: Server, path: str, others: int) -> dict:
    """A meeting as the last director to be served sees it: one Chromium session opens ``path``;
    when its page has loaded and its first request to the server is ready, ``others`` sessions
    ask for the same page over Streamlit's websocket (their browsers run on their own computers,
    not on this machine's two cores) and the Chromium session's request is let through once all
    of theirs have gone out, so it is served last. That browser's time, from navigation start."""
    load = os.getloadavg()[0]
    context, page = await new_page(browser)
    crowd: list[asyncio.Task] = []
    outgoing: asyncio.Queue = asyncio.Queue()

    async def forward(upstream) -> None:  # the page's messages in order, the first after the crowd's
        first = True
        while (message := await outgoing.get()) is not None:
            if first:
                first, sent = False, asyncio.Semaphore(0)
                crowd.extend(asyncio.create_task(protocol.open_session(server.url, path, sent=sent))
                             for _ in range(others))
                for _ in range(others):
                    await sent.acquire()
            upstream.send(message)

    def hold(route) -> None:
        upstream = route.connect_to_server()
        route.on_message(lambda message: outgoing.put_nowait(message))
        crowd.append(asyncio.create_task(forward(upstream)))

    await page.route_web_socket(re.compile(r".*/_stcore/stream"), hold)
    await page.goto(server.link(path), wait_until="commit")
    sample = {**await finished(page), "load": load, "errors": await _errors(page)}
    await context.close()
    outgoing.put_nowait(None)
    crowd_s = [d["s"] for d in await asyncio.gather(*crowd) if d]
    return {**sample, "others_slowest_s": max(crowd_s)}


async def slider_steps(page, server: Server, steps: int) -> list[dict]:
    """Arrow key on the first factor slider of the What-if page, ``steps`` times (a new value
    each): seconds from the key reaching the page until the rerun has finished."""
    from pipelines.programme.factors import FACTORS, label

    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label(FACTORS[0])).first
    thumb = slider.locator('input[type="range"]').first
    if await thumb.is_disabled():  # the default partner's scores are suppressed (a tiny programme)
        return [{"s": None, "error": "the What-if sliders are disabled"}]
    await thumb.focus()
    out = []
    for _ in range(steps):
        load = os.getloadavg()[0]
        cpu = server.cpu_s()
        before = await page.evaluate("window.__states.length")
        await thumb.press("ArrowRight")
        await page.wait_for_function(
            "(n) => window.__states.slice(n).some(s => s[1] === 'running')", arg=before, timeout=120_000)
        end = await finished(page, after=before)
        pressed = await page.evaluate("window.__keys[window.__keys.length - 1]")
        out.append({"s": end["s"] - pressed / 1000, "run_s": end["run_s"], "server_cpu_s": server.cpu_s() - cpu,
                    "load": load})
    return out


# -- the run ------------------------------------------------------------------------------------

def _median(samples: list[dict], key: str = "s") -> float | None:
    values = [s[key] for s in samples if s.get(key) is not None]
    return statistics.median(values) if values else None


async def measure_async(answers: int, repeats: int, work: Path, env: dict, files: dict,
                        labels_before: list[str], cold: tuple[str, ...] = PAGES, sessions: bool = True) -> dict:
    from playwright.async_api import async_playwright

    app, empty = ROOT / "serve.py", ROOT / "benchmarks" / "empty_app.py"
    out: dict = {"cold": {p: [] for p in PAGES}, "warm": {p: [] for p in PAGES}, "floor": [],
                 "floor_cold": [], "server_start_s": [], "memory": {},
                 **{key: {p: [] for p in PAGES} for key in COLD_ENTRIES}, "ready_s": []}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        # the same browser at the lowest CPU priority: the sessions' time left is the server's
        niced = work / "chromium-niced"
        niced.write_text(f'#!/bin/sh\nexec nice -n 19 {CHROMIUM} "$@"\n')
        niced.chmod(0o755)
        low = await playwright.chromium.launch(executable_path=str(niced), args=CHROMIUM_FLAGS, headless=True)
        with serving(empty, env, work) as floor:
            async def floor_open():
                out["floor"].append(await open_link(browser, floor))

            # cold: each page first after a fresh start; the floor's cold open on a fresh floor server too
            for _ in range(repeats):
                with serving(empty, env, work) as fresh_floor:
                    out["floor_cold"].append(await open_link(browser, fresh_floor))
                for name in cold:
                    with serving(app, env, work) as server:
                        out["server_start_s"].append(server.start_s)
                        out["cold"][name].append(await open_link(browser, server, PATHS[name]))
                    await floor_open()
                    for key, (script, ready) in COLD_ENTRIES.items():
                        with serving(ROOT / script, env, work, ready) as server:
                            if ready:
                                out["ready_s"].append(server.start_s)
                            out[key][name].append(await open_link(browser, server, PATHS[name]))
                        await floor_open()
                print(f"cold {json.dumps(out['cold'])}", file=sys.stderr, flush=True)

            with serving(app, env, work) as server:
                for name in PAGES:  # warm-up: every page's caches
                    await open_link(browser, server, PATHS[name])
                for _ in range(repeats):
                    for name in PAGES:
                        out["warm"][name].append(await open_link(browser, server, PATHS[name]))
                        await floor_open()
                out["memory"]["after warm opens"] = server.memory_mb()

                sample, (context, page) = await open_link(browser, server, PATHS["what-if"], keep=True)
                # a director looks at the page before moving a slider, on their own computer: the
                # steps start once this machine is quiet (the warm opens' browsers done)
                out["slider_quiet_waited_s"] = await quiet()
                out["slider"] = await slider_steps(page, server, SLIDER_STEPS)
                out["slider_errors"] = await _errors(page)
                await page.screenshot(path=str(work / "what-if-after-steps.png"), full_page=True)
                await context.close()
                await floor_open()

                for key in ("alone", "sessions", "floor_sessions", "sessions_niced", "floor_sessions_niced",
                            "server_alone", "server_sessions", "floor_server_alone", "floor_server_sessions",
                            "among"):
                    out[key] = []
                overview = PATHS["overview"]
                for _ in range(repeats if sessions else 0):
                    out["alone"].append(await open_link(browser, server, overview))
                    out["sessions"].append(await open_at_once(browser, server, overview, SESSIONS))
                    out["floor_sessions"].append(await open_at_once(browser, floor, "", SESSIONS))
                    out["sessions_niced"].append(await open_at_once(low, server, overview, SESSIONS))
                    out["floor_sessions_niced"].append(await open_at_once(low, floor, "", SESSIONS))
                    out["among"].append(await open_among(browser, server, overview, SESSIONS - 1))
                    await floor_open()
                    # the same over the websocket protocol, no browsers, once the machine is quiet:
                    # the server's part alone
                    out.setdefault("quiet_waited_s", []).append(await quiet())
                    for name, target in (("", server), ("floor_", floor)):
                        out[f"{name}server_alone"].append(await protocol.open_session(target.url))
                        out[f"{name}server_sessions"].append(await protocol.at_once(target.url, SESSIONS))
                print(f"sessions {json.dumps(out['sessions'])}", file=sys.stderr, flush=True)

                # a load while the app runs, then the first opens after it; then the pinned links
                out["load_s"], out["after_load"] = [], {"what-if": [], "overview": []}
                out["pinned"] = {"overview": [], "what-if": []}
                pins = [labels_before[i] for i in range(min(PINS, len(labels_before) - 1))]
                for n in range(1, repeats + 1):
                    out["load_s"].append(cli_load(env, *files[f"issues-refresh-{n}"]))
                    for name in ("what-if", "overview"):
                        out["after_load"][name].append(await open_link(browser, server, PATHS[name]))
                        await floor_open()
                    if n == 1:
                        out["memory"]["after a load"] = server.memory_mb()
                        for number, label in enumerate(pins, start=1):
                            query = urllib.parse.urlencode({"asof": label})
                            for name in ("overview", "what-if"):
                                sample = await open_link(browser, server, f"{PATHS[name]}?{query}")
                                out["pinned"][name].append({**sample, "pin": label})
                                await floor_open()
                            if number in (2, 4):
                                out["memory"][f"after {number} pinned versions"] = server.memory_mb()
                        print(f"pinned {json.dumps(out['pinned'])}", file=sys.stderr, flush=True)
                out["memory"][f"after {repeats} loads"] = server.memory_mb()
                await page_screens(browser, server, work)
        await low.close()
        await browser.close()
    return out


async def page_screens(browser, server: Server, work: Path) -> None:
    """A screenshot of each page as the benchmark saw it (to check the pages drew, not errors)."""
    for name in PAGES:
        context, page = await new_page(browser)
        await page.goto(server.link(PATHS[name]), wait_until="commit")
        await finished(page)
        await page.screenshot(path=str(work / f"page-{name}.png"), full_page=True)
        await context.close()


def summary(raw: dict) -> dict:
    floor = _median(raw["floor"])
    ratio = (lambda s: round(s / floor, 1) if s is not None and floor else None)
    figures = {}

    def figure(name: str, samples: list[dict], key: str = "s") -> None:
        value = _median(samples, key)
        figures[name] = {"median_s": value, "ratio": ratio(value), "runs": len(samples),
                         "server_cpu_s": _median(samples, "server_cpu_s"),
                         "load": [round(sample["load"], 1) for sample in samples if "load" in sample]}

    for page in PAGES:
        figure(f"{page}, cold (first open after start)", raw["cold"][page])
        figure(f"{page}, cold, opened once /ready says ready", raw.get("cold_ready", {}).get(page, []))
        figure(f"{page}, cold, served by streamlit run app.py (no start hook)",
               raw.get("cold_app_py", {}).get(page, []))
        figure(f"{page}, warm", raw["warm"][page])
    for page, samples in raw["after_load"].items():
        figure(f"{page}, first open after a load", samples)
    for page, samples in raw["pinned"].items():
        figure(f"{page}, pinned link (first open of that version)", samples)
    figure("what-if slider step", raw["slider"])
    figure(f"overview, one person alone (before the {SESSIONS} sessions)", raw["alone"])
    figure(f"overview, {SESSIONS} sessions at once: slowest", raw["sessions"], "slowest_s")
    figure(f"overview, {SESSIONS} sessions at once: median", raw["sessions"], "median_s")
    figure(f"empty page, {SESSIONS} sessions at once: slowest", raw["floor_sessions"], "slowest_s")
    figure(f"overview, {SESSIONS} sessions at once, browsers at nice 19: slowest", raw["sessions_niced"], "slowest_s")
    figure(f"empty page, {SESSIONS} sessions at once, browsers at nice 19: slowest", raw["floor_sessions_niced"],
           "slowest_s")
    figure(f"overview, {SESSIONS} sessions at once: slowest script run (first running → finished)",
           raw["sessions"], "run_slowest_s")
    figure("overview, server only (no browser): one person alone", raw.get("server_alone", []))
    figure(f"overview, server only (no browser): {SESSIONS} sessions at once, slowest",
           raw.get("server_sessions", []), "slowest_s")
    figure("empty page, server only (no browser): one person alone", raw.get("floor_server_alone", []))
    figure(f"empty page, server only (no browser): {SESSIONS} sessions at once, slowest",
           raw.get("floor_server_sessions", []), "slowest_s")
    figure(f"overview, the last of {SESSIONS} at once in Chromium, the others over the websocket",
           raw.get("among", []))
    figure("empty page, cold (first open after start)", raw["floor_cold"])
    alone = _median(raw["alone"])
    slowest = _median(raw["sessions"], "slowest_s")
    server_alone = _median(raw.get("server_alone", []))
    server_slowest = _median(raw.get("server_sessions", []), "slowest_s")
    among = _median(raw.get("among", []))
    warm = _median(raw["warm"]["overview"])
    to_warm = {name: round(f["median_s"] / warm, 1) for name, f in figures.items() if f["median_s"] and warm}
    return {"floor_s": floor, "floor_server_cpu_s": _median(raw["floor"], "server_cpu_s"), "figures": figures,
            "to_warm_overview": to_warm, "ready_s": raw.get("ready_s"),
            "sessions_slowest_vs_alone": round(slowest / alone, 1) if slowest and alone else None,
            "meeting_last_vs_alone": round(among / alone, 1) if among and alone else None,
            "server_sessions_slowest_vs_alone":
                round(server_slowest / server_alone, 1) if server_slowest and server_alone else None,
            "memory": raw["memory"],
            "errors_shown": sum(s.get("errors", 0) for group in (raw["cold"], raw["warm"], raw["after_load"],
                                                                  raw["pinned"]) for samples in group.values()
                                for s in samples) + sum(s["errors"] for s in raw["sessions"])}


def measure(answers: int, repeats: int, data: str, cold: list[str] | None = None, sessions: bool = True) -> dict:
    """``cold``: the pages opened first after a fresh start (default: all); ``sessions``: with the
    15 sessions at once (a shorter run without)."""
    work = Path(tempfile.mkdtemp(prefix="bench-browser-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PARTNERSHIP_DB": str(work / "programme.duckdb"),
           "PARTNERSHIP_SALT_FILE": str(work / "salt"), "PARTNERSHIP_DEMO": "off",
           "PARTNERSHIP_UPLOAD_LIMIT_MB": "100000"}
    files = programme_files(Path(data), answers, repeats)
    loads = {}
    for name in ("survey-earlier", "milestones", "issues", "survey-latest"):
        loads[name] = cli_load(env, *files[name])
    labels = version_labels(env)
    raw = asyncio.run(measure_async(answers, repeats, work, env, files, labels, tuple(cold or PAGES), sessions))
    return {"answers": answers, "waves": WAVES.get(answers, 12), "partners": generate.PARTNERS,
            "milestones": MILESTONES, "issues": ISSUES, "repeats": repeats, "work": str(work),
            "store_loads_s": loads, "versions_before_start": labels, **summary(raw), "raw": raw}


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    print("RESULT " + json.dumps(measure(**spec)))
