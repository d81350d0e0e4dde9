"""How the command line and a running app share one database file.

DuckDB lets one process open a file read-write. The app keeps its connection open for
as long as it runs, so a command that finds the file held by the app hands its work to
the app instead: it writes a job (its arguments) into a folder beside the database, the
app's job thread runs the same command with the app's own connection, and writes back
the exit code and output. A command finding the file held by another command (which
does not take jobs) waits up to ``lock_wait_seconds`` and then says why.
"""
from __future__ import annotations

import io
import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

from pipelines import settings

POLL_SECONDS = 0.1
JOB_TIMEOUT_SECONDS = 600.0  # a load of a large file through the app may take minutes


def jobs_dir(db: Path) -> Path:
    return db.parent / ".jobs" / db.name


def owner_file(db: Path) -> Path:
    return jobs_dir(db) / "owner.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_atomic(path: Path, payload: dict) -> None:
    temporary = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(payload))
    os.replace(temporary, path)


def owner_taking_jobs(db: Path) -> int | None:
    """The pid of a live process that runs jobs for this database, if there is one."""
    try:
        pid = int(json.loads(owner_file(db).read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None
    return pid if _alive(pid) else None


class JobRunner:
    """Runs commands handed over by other processes, one at a time, on a daemon thread."""

    def __init__(self, db: Path, run: Callable[[list[str], io.StringIO, io.StringIO], int]):
        self.db, self.run = db, run
        self.folder = jobs_dir(db)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="partnership-jobs", daemon=True)

    def start(self) -> "JobRunner":
        _write_atomic(owner_file(self.db), {"pid": os.getpid()})
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        try:
            if json.loads(owner_file(self.db).read_text())["pid"] == os.getpid():
                owner_file(self.db).unlink()
        except (OSError, ValueError, KeyError):
            pass

    def _loop(self) -> None:
        while not self._stop.is_set():
            for job in sorted(self.folder.glob("*.job.json")):
                self.run_one(job)
            self._stop.wait(POLL_SECONDS)

    def run_one(self, job: Path) -> None:
        try:
            argv = json.loads(job.read_text())["argv"]
        except (OSError, ValueError, KeyError):
            return  # half-written or already taken
        out, err = io.StringIO(), io.StringIO()
        try:
            code = self.run(argv, out, err)
        except Exception as error:  # the caller must hear of it rather than wait forever
            code = 70
            err.write(f"The app could not run the command: {error}\n")
        _write_atomic(job.with_name(job.name.replace(".job.json", ".result.json")),
                      {"code": code, "out": out.getvalue(), "err": err.getvalue()})
        job.unlink(missing_ok=True)


def submit(db: Path, argv: list[str], *, timeout: float = JOB_TIMEOUT_SECONDS) -> tuple[int, str, str]:
    """Hand a command to the process that holds the database and wait for its answer."""
    folder = jobs_dir(db)
    name = uuid.uuid4().hex
    job, result = folder / f"{name}.job.json", folder / f"{name}.result.json"
    _write_atomic(job, {"argv": argv, "pid": os.getpid()})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result.exists():
            payload = json.loads(result.read_text())
            result.unlink(missing_ok=True)
            return int(payload["code"]), payload["out"], payload["err"]
        if owner_taking_jobs(db) is None:
            break
        time.sleep(POLL_SECONDS)
    if job.exists():
        job.unlink(missing_ok=True)
        return 3, "", (f"The app holding {db} did not take the command within {timeout:.0f} s; "
                       "nothing was changed. Try again, or stop the app and run it directly.\n")
    return 3, "", f"The app holding {db} stopped before it answered; check `history` to see what happened.\n"


def lock_wait() -> float:
    return float(settings.get("lock_wait_seconds"))
