"""deploy/ and ./run as an administrator uses them: systemd units that systemd accepts, a reverse
proxy with sticky sessions and websockets, and an app that listens on loopback unless told otherwise."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import _free_port

from pipelines import settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
INSTALLED_AT = "/opt/partnership-health"  # where the units expect the app
UNITS = {  # unit file -> the name systemd would run it under
    "partnership-health@.service": "partnership-health@8501.service",
    "partnership-health-maintain.service": "partnership-health-maintain.service",
    "partnership-health-maintain.timer": "partnership-health-maintain.timer",
    "partnership-health-load@.service": "partnership-health-load@issues.service",
    "partnership-health-load@.timer": "partnership-health-load@issues.timer",
}


def unit(name: str) -> str:
    return (DEPLOY / name).read_text()


def test_every_unit_file_in_deploy_is_checked():
    assert {p.name for p in DEPLOY.glob("*.service")} | {p.name for p in DEPLOY.glob("*.timer")} == set(UNITS)


def test_systemd_accepts_the_units(tmp_path):
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("systemd-analyze is missing; ./run test installs Debian's systemd package.")
        pytest.skip("systemd-analyze not installed (apt-get install systemd)")
    for source, name in UNITS.items():  # the app where this checkout is, so ExecStart's program exists
        (tmp_path / name).write_text(unit(source).replace(INSTALLED_AT, str(ROOT)))
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *UNITS.values()], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_a_replica_binds_loopback_and_every_unit_shares_one_environment_without_password():
    replica = unit("partnership-health@.service")
    assert "--server.address 127.0.0.1 --server.port %i" in replica
    for source in UNITS:
        if source.endswith(".service"):
            settings_lines = [line for line in unit(source).splitlines() if not line.startswith("#")]
            assert "EnvironmentFile=/etc/partnership-health/env" in settings_lines
            assert "User=partnership" in settings_lines and "UMask=0077" in settings_lines
            assert not any("password" in line.lower() for line in settings_lines)
    env = dict(line.split("=", 1) for line in unit("env").splitlines() if line and not line.startswith("#"))
    assert set(env) <= {s.env_var for s in settings.SETTINGS}
    assert env["PARTNERSHIP_DB"].startswith("ducklake:postgres:") and "password" not in env["PARTNERSHIP_DB"]


def test_the_timers_run_maintain_and_load():
    assert "ExecStart=/opt/partnership-health/.venv/bin/python -m pipelines maintain" in unit(
        "partnership-health-maintain.service")
    assert ("-m pipelines load /srv/partnership/exports/%i.csv --dataset %i"
            in unit("partnership-health-load@.service"))
    for timer in ("partnership-health-maintain.timer", "partnership-health-load@.timer"):
        assert re.search(r"^OnCalendar=\S", unit(timer), flags=re.M) and "WantedBy=timers.target" in unit(timer)


def test_the_reverse_proxy_keeps_sessions_sticky_and_passes_websockets():
    conf = (DEPLOY / "nginx-partnership-health.conf").read_text()
    upstream = re.search(r"upstream partnership_health \{(.*?)\}", conf, flags=re.S).group(1)
    assert re.search(r"^\s*ip_hash;", upstream, flags=re.M)
    assert re.findall(r"server 127\.0\.0\.1:(\d+)", upstream) == ["8501", "8502"]
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf and "proxy_http_version 1.1;" in conf
    limit = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    assert limit == settings.SETTINGS_BY_NAME["upload_limit_mb"].default


def outside_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one besides loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the route
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_run_app_listens_on_loopback_only(tmp_path):
    port = _free_port()
    app = subprocess.Popen([str(ROOT / "run"), "app"], cwd=ROOT, env={**os.environ, "PORT": str(port)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # hang guard: the wait is on the health answer
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert app.poll() is None and time.monotonic() < deadline, "the app did not start"
                time.sleep(0.2)
        address = outside_address()
        if address is not None:
            with socket.socket() as other:
                assert other.connect_ex((address, port)) != 0  # refused on the outside address
    finally:
        app.terminate()
        app.wait(timeout=30)
