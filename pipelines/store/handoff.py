"""How the command line and a running app share one database file.

DuckDB lets one process open a file read-write. The app keeps its connection open for
as long as it runs, so a command that finds the file held by the app hands its work to
the app instead: it writes a request (its arguments) into a folder beside the database, the
app's job thread runs the same command with the app's own connection, and writes back
the exit code and output. A command finding the file held by another command (which
does not take jobs) waits up to ``lock_wait_seconds`` and then says why.

The channel is private. The folder is 0700 and its files 0600. A request carries an
HMAC-SHA256 over its arguments and a one-time nonce, made with a key kept owner-only beside
the database (``key_file``, created by the app): the app runs only requests that prove they
come from an account that can read the key, once each, and refuses and logs anything else. The
files a command reads and writes are checked against the account that wrote the request (the
owner of the request file): the command line checks before handing off, the app again before
running, so the app never reads or writes a file for someone who could not do it themselves.
"""
from __future__ import annotations

import grp
import hashlib
import hmac
import io
import json
import logging
import os
import pwd
import secrets
import stat
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable

from pipelines import settings
from pipelines.store import private

POLL_SECONDS = 0.1
JOB_TIMEOUT_SECONDS = 600.0  # a load of a large file through the app may take minutes
EXIT_REFUSED = 3  # the app would not run it: as unreachable as a busy database (README exit codes)
log = logging.getLogger("partnership.handoff")


def jobs_dir(db: Path) -> Path:
    return db.parent / ".jobs" / db.name


def owner_file(db: Path) -> Path:
    return jobs_dir(db) / "owner.json"


def key_file(db: Path) -> Path:
    """The hand-off key: 0600 beside the database; whoever can read it may hand the app commands."""
    return db.with_name(db.name + ".handoff-key")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write(path: Path, payload: dict) -> None:
    private.write(path, json.dumps(payload).encode())


def owner_taking_jobs(db: Path) -> int | None:
    """The pid of a live process that runs jobs for this database, if there is one."""
    try:
        pid = int(json.loads(owner_file(db).read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None
    return pid if _alive(pid) else None


# -- the request's proof ----------------------------------------------------------------------
def _mac(key: bytes, argv: list[str], nonce: str) -> str:
    body = json.dumps({"argv": argv, "nonce": nonce}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def _key(db: Path) -> bytes:
    return key_file(db).read_bytes().strip()


# -- who may read or write a file ---------------------------------------------------------------
def _groups(uid: int) -> set[int]:
    try:
        user = pwd.getpwuid(uid)
    except KeyError:
        return set()
    return {user.pw_gid} | {g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem}


def _may(uid: int, path: Path, want: int) -> bool:
    """Whether account ``uid`` has ``want`` (an os.R_OK/W_OK/X_OK mix) on ``path`` by its mode bits."""
    if uid == os.getuid():
        return os.access(path, want)
    if uid == 0:
        return True
    info = os.stat(path)
    if info.st_uid == uid:
        shift = 6
    elif info.st_gid in _groups(uid):
        shift = 3
    else:
        shift = 0
    return (info.st_mode >> shift) & want == want


def _reachable(uid: int, path: Path) -> bool:
    """Every folder above ``path`` can be passed through by ``uid``."""
    return all(_may(uid, parent, os.X_OK) for parent in path.parents if parent.exists())


def could_read(uid: int, path: Path) -> bool:
    path = Path(path)
    return path.is_file() and _reachable(uid, path) and _may(uid, path, os.R_OK)


def could_write(uid: int, path: Path) -> bool:
    """``uid`` could write ``path`` itself: an existing regular file it may write (never a link), or
    a new file in the nearest existing folder, which it may write into."""
    path = Path(path)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        return False
    if path.exists():
        return _reachable(uid, path) and _may(uid, path, os.W_OK)
    folder = next(p for p in path.parents if p.exists())
    return folder.is_dir() and _reachable(uid, folder / "x") and _may(uid, folder, os.W_OK | os.X_OK)


def files_problem(uid: int, reads: Iterable[Path], writes: Iterable[Path]) -> str | None:
    """Why account ``uid`` may not have these files read and written for it, or None."""
    for path in reads:
        if not could_read(uid, path):
            return f"{path} cannot be read by the account that asked; nothing was run."
    for path in writes:
        if not could_write(uid, path):
            return (f"{path} cannot be written by the account that asked (a folder it may not write, "
                    "a link, or a file it may not change); nothing was run. Choose a file of your own.")
    return None


# -- the app's side -------------------------------------------------------------------------------
class JobRunner:
    """Runs commands handed over by other processes, one at a time, on a daemon thread.

    ``files(argv) -> (reads, writes)`` names the files a command would read and write
    (``pipelines.cli.files_of`` unless given)."""

    def __init__(self, db: Path, run: Callable[[list[str], io.StringIO, io.StringIO], int],
                 files: Callable[[list[str]], tuple[list[Path], list[Path]]] | None = None):
        self.db, self.run = db, run
        self.files = files
        self.folder = jobs_dir(db)
        self._seen: set[str] = set()  # nonces already run: a copied request is not run twice
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="partnership-jobs", daemon=True)

    def start(self) -> "JobRunner":
        problem = self._prepare()
        if problem:  # commands then wait for the file and say who holds it
            log.warning("handoff: not taking commands for %s: %s", self.db, problem)
            return self
        _write(owner_file(self.db), {"pid": os.getpid()})
        self.thread.start()
        return self

    def _prepare(self) -> str | None:
        private.folder(self.folder)
        for folder in (self.folder.parent, self.folder):
            info = os.lstat(folder)
            if info.st_uid != os.getuid() or not stat.S_ISDIR(info.st_mode):
                return f"{folder} belongs to another account"
            private.restrict(folder, private.FOLDER_MODE)
        private.create_secret(key_file(self.db))
        private.restrict(key_file(self.db))
        self.key = _key(self.db)
        return None

    def stop(self) -> None:
        self._stop.set()
        if self.thread.is_alive():
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

    def _refuse(self, job: Path, why: str, code: int = EXIT_REFUSED) -> None:
        log.warning("handoff: refused request %s for %s: %s", job.name, self.db, why)
        self._answer(job, code, "", f"The app refused the command: {why}\n")

    def _answer(self, job: Path, code: int, out: str, err: str) -> None:
        _write(job.with_name(job.name.replace(".job.json", ".result.json")),
               {"code": code, "out": out, "err": err})
        job.unlink(missing_ok=True)

    def run_one(self, job: Path) -> None:
        try:
            requester = os.lstat(job).st_uid  # the account that wrote the request
            payload = json.loads(job.read_text())
        except (OSError, ValueError):
            return  # half-written or already taken
        argv, nonce, mac = payload.get("argv"), payload.get("nonce"), payload.get("mac")
        if not (isinstance(argv, list) and all(isinstance(a, str) for a in argv)
                and isinstance(nonce, str) and isinstance(mac, str)):
            return self._refuse(job, "it is not a request the command line writes.")
        if not hmac.compare_digest(mac, _mac(self.key, argv, nonce)):
            return self._refuse(job, f"it does not prove it comes from an account that can read "
                                     f"{key_file(self.db)}.")
        if nonce in self._seen:
            return self._refuse(job, "it was run once already (a copied request).")
        self._seen.add(nonce)
        try:
            reads, writes = (self.files or _cli_files)(argv)
        except SystemExit:
            reads, writes = [], []  # a usage error: the command itself will say so
        problem = files_problem(requester, reads, writes)
        if problem:
            return self._refuse(job, problem, code=1)
        out, err = io.StringIO(), io.StringIO()
        try:
            code = self.run(argv, out, err)
        except Exception as error:  # the caller must hear of it rather than wait forever
            code = 70
            err.write(f"The app could not run the command: {error}\n")
        self._answer(job, code, out.getvalue(), err.getvalue())


def _cli_files(argv: list[str]) -> tuple[list[Path], list[Path]]:
    from pipelines.cli import files_of

    return files_of(argv)


# -- the command line's side ------------------------------------------------------------------------
def submit(db: Path, argv: list[str], *, timeout: float = JOB_TIMEOUT_SECONDS) -> tuple[int, str, str]:
    """Hand a command to the process that holds the database and wait for its answer."""
    try:
        key = _key(db)
    except OSError:
        return EXIT_REFUSED, "", (f"The app holding {db} takes commands only from accounts that can read "
                                  f"{key_file(db)}, and this one cannot; nothing was run.\n")
    folder = jobs_dir(db)
    name = uuid.uuid4().hex
    job, result = folder / f"{name}.job.json", folder / f"{name}.result.json"
    nonce = secrets.token_hex(16)
    _write(job, {"argv": argv, "nonce": nonce, "mac": _mac(key, argv, nonce), "pid": os.getpid()})
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
