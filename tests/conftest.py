import itertools
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own database path and salt; nothing touches data/."""
    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "programme.duckdb"))
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "salt"))
    monkeypatch.setenv("PARTNERSHIP_DEMO", "off")
    yield


@pytest.fixture
def store(tmp_path):
    from pipelines.store import Store

    store = Store(tmp_path / "programme.duckdb")
    yield store
    store.close()


def store_built_once(tmp_path_factory, name: str, build):
    """An open Store ``<name>.duckdb`` in a folder of its own beside its own salt, filled by
    ``build(store)``: for a module's fixture (it runs outside any test's settings)."""
    from pipelines.store import Store

    folder = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARTNERSHIP_SALT_FILE", str(folder / "salt"))
        store = Store(folder / f"{name}.duckdb")
        build(store)
    return store


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """A folder with the demo programme's database and its salt, built once per test module."""
    from pipelines.programme import bootstrap

    store = store_built_once(tmp_path_factory, "demo", bootstrap.load_demo)
    store.close()
    return store.path.parent


@pytest.fixture(scope="module")
def demo_source(demo_db):
    """The views' source of the demo programme (k = 5), open for the module."""
    from pipelines.present import views
    from pipelines.store import Store

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARTNERSHIP_SALT_FILE", str(demo_db / "salt"))
        store = Store(demo_db / "demo.duckdb")
        yield views.Source(store.cursor(), k=5)
        store.close()


@pytest.fixture
def demo(demo_db, monkeypatch):
    """The app's settings pointed at the demo programme (the folder of ``demo_db``)."""
    monkeypatch.setenv("PARTNERSHIP_DB", str(demo_db / "demo.duckdb"))
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(demo_db / "salt"))
    return demo_db


@pytest.fixture
def generated_programme(tmp_path, monkeypatch):
    """``open(partners=, waves=)``: the app's settings pointed at a programme made by
    ``test_whatif.generate`` (partners P0, P1, ...)."""
    def open_programme(**kwargs) -> Path:
        from test_whatif import generate

        from pipelines.store import Store

        path = tmp_path / "generated.duckdb"
        store = Store(path)
        generate(store, **kwargs)
        store.close()
        monkeypatch.setenv("PARTNERSHIP_DB", str(path))
        return path
    return open_programme


# -- DuckLake: a PostgreSQL catalog on loopback (tests/pg.py), shared by the lake modules --
LAKE_TEMPLATE = "lake_template"
_lake_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """The server, with a migrated empty lake as the template every test's catalog copies."""
    import pg

    from pipelines.store import Store

    if pg.bin_dir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries are missing; CI must install Debian's postgresql package.")
        pytest.skip("PostgreSQL binaries not found (apt-get install -y postgresql): DuckLake tests need a catalog")
    server = pg.PostgresServer().start()
    # One data folder for the session: the template's catalog records it, and DuckLake
    # names every file uniquely, so the lakes copied from it never meet.
    data = tmp_path_factory.mktemp("lake-data")
    saved = {name: os.environ.get(name) for name in ("PARTNERSHIP_DB", "PARTNERSHIP_LAKE_DATA_PATH")}
    try:
        os.environ["PARTNERSHIP_LAKE_DATA_PATH"] = str(data)
        Store(f"ducklake:postgres:{server.create_database(LAKE_TEMPLATE)}").close()  # creates and migrates
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
    server.data_path = str(data)
    yield server
    server.stop()


def new_lake(postgres) -> str:
    """A fresh, empty, migrated lake (a copy of the template catalog): its location."""
    dsn = postgres.create_database(f"lake_{os.getpid()}_{next(_lake_numbers)}", template=LAKE_TEMPLATE)
    return f"ducklake:postgres:{dsn}"

# -- the real app in headless Chromium ------------------------------------------------
import contextlib
import socket
import subprocess
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "tests" / "artifacts"


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def streamlit_run(script: Path, port: int, env: dict, log) -> subprocess.Popen:
    """`streamlit run script` on a loopback port, headless (also benchmarks/browser.py's servers)."""
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(url: str, seconds: float, path: str = "/_stcore/health") -> bool:
    """Whether the server at ``url`` answers 200 at ``path`` (its health check; serve.py's
    ``/ready``) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=10) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


class AppServer:
    """`streamlit run serve.py` (app.py's pages, the store opened and warmed at start) on a
    loopback port, on its own database, as `./run app` and deploy/ serve it."""

    def __init__(self, db: Path, salt: Path, env: dict | None = None):
        self.db, self.port = db, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "PARTNERSHIP_DB": str(db), "PARTNERSHIP_SALT_FILE": str(salt),
                       "PARTNERSHIP_DEMO": "auto", **(env or {})}
        self.log = open(db.parent / f"server-{self.port}.log", "w")
        self.process = streamlit_run(ROOT / "serve.py", self.port, environment, self.log)
        if wait_healthy(self.url, 60):
            return
        self.stop()
        raise RuntimeError(f"the app did not start: {(db.parent / f'server-{self.port}.log').read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def app_server(tmp_path):
    server = AppServer(tmp_path / "served.duckdb", tmp_path / "served-salt")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_app():
    """The app on the demo programme, for a whole module of browser tests (on its own database; its
    tests only read it, or undo what they change)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="demo-app-"))
    server = AppServer(folder / "served.duckdb", folder / "served-salt")
    # warmed first (GET /ready), so no page meets the warm-up's rerun halfway (the wait is a hang guard)
    assert wait_healthy(server.url, 600, "/ready"), "the demo app never said it was ready"
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium package.")
        pytest.skip("Debian's Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


def _browser_page(chromium, width: int):
    context = chromium.new_context(viewport={"width": width, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture
def page_1440(chromium):
    yield from _browser_page(chromium, 1440)


@pytest.fixture
def browser_page(chromium):
    yield from _browser_page(chromium, 1400)


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script for what is on screen, and every element
    is drawn: an element whose code the browser is still loading is a placeholder (``stSkeleton``)
    after the run has finished (a loaded machine showed a page of them: no metric yet)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_timeout(250)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_containers(at, *keys: str):
    """An AppTest page with the popovers and expanders of ``keys`` opened, as a click opens them:
    the steering pack ("pack"), a chart's downloads ("download-<name>") and its table, What-if's
    "How this works" make their contents only while open."""
    for key in keys:
        at.session_state[key] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_chart_tables(at):
    """An AppTest page with every chart's "… as a table" opened, as a click opens it: its table is
    made only while it is open (``app_pages/ui/downloads.data_table``)."""
    return open_containers(at, *(e.key for e in at.expander if e.label.endswith(" as a table") and e.key))
