"""The app server's start (``serve.py``, ``app_pages/ui/server.py``): the store opened and the
what-if model fitted before anyone opens a page, and ``GET /ready`` answering 503 with a reason
until then, and whenever ``python -m pipelines check`` would fail. Real servers on real stores;
every wait is on an answer, never on a clock."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, AppServer

from app_pages.ui.server import READY_PATH, Phase
from pipelines.store.readiness import Problem

HANG_S = 300  # hang guard only


def ask(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url + READY_PATH, timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read().decode()


def answers_until(url: str, stop) -> list[tuple[int, str]]:
    """Every answer of ``/ready``, asked again and again until ``stop(answer)``."""
    seen, deadline = [], time.monotonic() + HANG_S
    while True:
        seen.append(ask(url))
        if stop(seen[-1]):
            return seen
        assert time.monotonic() < deadline, f"/ready never answered as expected: {seen[-3:]}"
        time.sleep(0.2)


def load_demo(env: dict) -> None:
    subprocess.run([sys.executable, "-m", "pipelines", "demo"], cwd=ROOT, env={**os.environ, **env},
                   check=True, capture_output=True, timeout=HANG_S)


@pytest.fixture
def served(tmp_path):
    servers = []

    def serve(db, salt, **env) -> AppServer:
        servers.append(AppServer(db, salt, env=env))
        return servers[-1]
    yield serve
    for server in servers:
        server.stop()


def test_a_fresh_server_is_ready_once_its_store_is_open_and_fitted(tmp_path, served):
    server = served(tmp_path / "fresh.duckdb", tmp_path / "salt")  # demo loaded at start
    seen = answers_until(server.url, lambda answer: answer[0] == 200)
    assert seen[-1] == (200, "ready\n")
    waiting = {f"not ready: {phase}\n" for phase in (Phase.OPENING, Phase.WARMING)}
    assert all(status == 503 and body in waiting for status, body in seen[:-1])
    log = Path(server.log.name).read_text()
    assert "warming the what-if model failed" not in log  # the demo was fitted, not given up on
    assert "Traceback" not in log


def test_ready_stays_ready(tmp_path, served):
    server = served(tmp_path / "fresh.duckdb", tmp_path / "salt")
    answers_until(server.url, lambda answer: answer[0] == 200)
    assert ask(server.url) == (200, "ready\n")


def test_a_missing_salt_file_keeps_it_not_ready_and_names_no_path(tmp_path, served):
    load_demo({"PARTNERSHIP_DB": str(tmp_path / "p.duckdb"), "PARTNERSHIP_SALT_FILE": str(tmp_path / "salt-a")})
    missing = tmp_path / "salt-b"
    server = served(tmp_path / "p.duckdb", missing, PARTNERSHIP_DEMO="off")
    seen = answers_until(server.url, lambda answer: answer[1] == f"not ready: {Problem.SALT_MISSING}\n")
    assert seen[-1][0] == 503
    assert str(missing) not in "".join(body for _, body in seen)
    log = Path(server.log.name).read_text()
    assert f"the salt file {missing} does not exist" in log  # the whole sentence is in the log, once
    assert log.count(f"the salt file {missing} does not exist") == 1


def test_a_lake_that_cannot_be_reached_is_not_ready_and_the_server_still_answers(tmp_path, served):
    from conftest import _free_port

    nobody = _free_port()  # nothing listens there
    location = f"ducklake:postgres:dbname=ph host=127.0.0.1 port={nobody} user=ph"
    server = served(tmp_path / "lake.unused", tmp_path / "salt", PARTNERSHIP_DB=location,
                    PARTNERSHIP_LAKE_DATA_PATH=str(tmp_path / "lake"))
    seen = answers_until(server.url, lambda answer: answer[1] == f"not ready: {Phase.UNREACHABLE}\n")
    assert seen[-1][0] == 503
    assert ask(server.url) == (503, f"not ready: {Phase.UNREACHABLE}\n")  # still, on the next retry
    with urllib.request.urlopen(server.url + "/_stcore/health", timeout=30) as answer:
        assert answer.status == 200  # the process answers; only /ready says the store does not
    log = Path(server.log.name).read_text()
    assert "cannot be reached" in log
    assert "Traceback" not in log


def test_the_readme_names_every_reason_ready_gives():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Probe **`GET /ready`**"):readme.index("Meanwhile a replica that cannot reach")]
    for reason in [*Phase, *Problem]:
        assert f"`{reason}`" in " ".join(section.split()), reason


def test_every_page_cache_shares_one_byte_budget():
    """.streamlit/config.toml bounds every st.cache_data entry of the process together (issue #22:
    memory flat in pins), in a form Streamlit's own parser reads."""
    import tomllib

    from streamlit.byte_util import config_max_cache_data_size_to_bytes

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config_max_cache_data_size_to_bytes(config["server"]["maxCacheDataSize"]) == 64 * 2**20
