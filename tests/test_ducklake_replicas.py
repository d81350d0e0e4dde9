"""Two replicas started at once on a new, empty DuckLake store, driven in headless Chromium (issue #24).

Both serve every page (the first of them to open the store creates it and loads the demo, the
other finds it made); their logs hold no traceback; ``check`` is ready. With PostgreSQL stopped,
``check`` fails with a plain line and an open page says "The programme store cannot be reached;
retrying" instead of a traceback; once PostgreSQL is back, ``check`` is ready again and the page
comes back by itself.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pg
import pytest
from conftest import AppServer, screenshot, wait_for_app

from app_pages.ui.queries import STORE_UNREACHABLE

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
HANG_MS = 300_000  # hang guard only: every wait is on what the page shows
PAGES = {"overview": "Partnership Health", "partner": "Partner profile", "compare": "Compare partners",
         "what-if": "What-if", "data": "Data"}


def check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", "check"], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=HANG_MS / 1000)


def start_at_once(folder: Path, env: dict, names: tuple[str, ...] = ("a", "b")) -> list[AppServer]:
    """App servers on one store started at the same moment (a thread each), as a service manager
    starts replicas; when one fails to start, the others are stopped and its error raised."""
    started: dict[str, AppServer | BaseException] = {}

    def start(name: str) -> None:
        try:
            started[name] = AppServer(folder / f"{name}.unused", Path(env["PARTNERSHIP_SALT_FILE"]), env=env)
        except BaseException as error:  # noqa: BLE001 (raised below)
            started[name] = error

    threads = [threading.Thread(target=start, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = [value for value in started.values() if isinstance(value, BaseException)]
    if failed:
        for value in started.values():
            if isinstance(value, AppServer):
                value.stop()
        raise failed[0]
    return [started[name] for name in names]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, chromium):
    """Its own PostgreSQL (stopped and started by the test), an empty catalog, two replicas started at once."""
    if pg.bin_dir() is None:
        pytest.skip("PostgreSQL binaries not found (apt-get install -y postgresql)")
    folder = tmp_path_factory.mktemp("replicas")
    server = pg.PostgresServer().start()
    apps: list[AppServer] = []
    try:
        env = {"PARTNERSHIP_DB": f"ducklake:postgres:{server.dsn()}",  # an empty database: no lake yet
               "PARTNERSHIP_LAKE_DATA_PATH": str(folder / "lake-data"),
               "PARTNERSHIP_SALT_FILE": str(folder / "shared-salt"), "PARTNERSHIP_DEMO": "auto",
               "PARTNERSHIP_LOCK_WAIT_SECONDS": str(HANG_MS // 1000)}
        apps = start_at_once(folder, env)
        yield apps[0], apps[1], env, server
    finally:
        for app in apps:
            app.stop()
        server.stop()


def log_of(app: AppServer) -> str:
    return (app.db.parent / f"server-{app.port}.log").read_text()


def test_two_replicas_started_at_once_on_an_empty_store_serve_every_page(replicas, chromium):
    server_a, server_b, env, _ = replicas
    contexts = [chromium.new_context(viewport={"width": 1440, "height": 1000}) for _ in range(2)]
    try:
        pages = [context.new_page() for context in contexts]
        for page, app in zip(pages, (server_a, server_b)):  # both first views at once: the store is made then
            page.goto(f"{app.url}/overview", wait_until="commit")
        for page in pages:
            wait_for_app(page, timeout=HANG_MS)
        for page, app in zip(pages, (server_a, server_b)):
            for path, title in PAGES.items():
                page.goto(f"{app.url}/{path}")
                wait_for_app(page, timeout=HANG_MS)
                page.get_by_role("heading", name=title).first.wait_for(timeout=HANG_MS)
                assert page.locator('[data-testid="stException"]').count() == 0, (app.url, path)
        screenshot(pages[1], "replicas-b-data")
    finally:
        for context in contexts:
            context.close()
    for app in (server_a, server_b):
        assert "Traceback" not in log_of(app), log_of(app)[-3000:]
    done = check(env)
    assert done.returncode == 0 and done.stdout.startswith("ready: ducklake:postgres:"), done.stderr
    assert "the same as the store's" in done.stdout  # the demo's load recorded the shared salt


def test_an_outage_gives_a_plain_notice_and_a_failing_check_and_both_recover(replicas, chromium):
    server_a, _, env, postgres = replicas
    context = chromium.new_context(viewport={"width": 1024, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{server_a.url}/overview")
        wait_for_app(page, timeout=HANG_MS)
        page.get_by_role("heading", name=PAGES["overview"]).first.wait_for(timeout=HANG_MS)
        postgres.pause()
        try:
            down = check(env)
            assert down.returncode == 1 and down.stdout == ""
            assert down.stderr == (f"not ready: The programme store {env['PARTNERSHIP_DB']} cannot be reached "
                                   "(Connection refused). Nothing was changed; try again once PostgreSQL answers.\n")
            page.goto(f"{server_a.url}/compare")  # a page view while the catalog is away
            page.get_by_text(STORE_UNREACHABLE).wait_for(timeout=HANG_MS)
            assert page.locator('[data-testid="stException"]').count() == 0
            for width in (1024, 1440):
                page.set_viewport_size({"width": width, "height": 900})
                screenshot(page, f"replicas-store-unreachable-{width}")
        finally:
            postgres.resume()
        assert check(env).returncode == 0
        # the page retries by itself: its content comes back without a reload
        page.get_by_role("heading", name=PAGES["compare"]).first.wait_for(timeout=HANG_MS)
        page.get_by_text(STORE_UNREACHABLE).wait_for(state="detached", timeout=HANG_MS)
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        context.close()
    assert "Traceback" not in log_of(server_a), log_of(server_a)[-3000:]
