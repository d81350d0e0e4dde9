"""Owner-only files: what the product writes on disk is readable by its own account alone.

Folders the product creates are 0700 and its files 0600, whatever the umask it was started
with. DuckDB creates the database and its write-ahead log itself (the log again after every
checkpoint), so a process that opens a store adds the group and other bits to its umask
(``tighten_umask``); files written here are also created 0600 explicitly, so they stay private
in a process that never opened a store.
"""
from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

OWNER_ONLY = 0o077  # umask bits: nothing for group and others
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def tighten_umask() -> None:
    """Add group/other bits to this process's umask (never loosens it)."""
    os.umask(os.umask(OWNER_ONLY) | OWNER_ONLY)


def folder(path: Path) -> Path:
    """``path`` as a folder: created 0700 (with its missing parents) when it is not there."""
    path = Path(path)
    if not path.is_dir():
        for missing in reversed([p for p in (path, *path.parents) if not p.exists()]):
            try:
                missing.mkdir(mode=FOLDER_MODE)
            except FileExistsError:
                pass  # made meanwhile by another process or thread
    return path


def restrict(path: Path, mode: int = FILE_MODE) -> None:
    """Take group and other access away from a file or folder this account owns."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if info.st_uid == os.getuid() and not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, stat.S_IMODE(info.st_mode) & mode)


def write(path: Path, data: bytes) -> None:
    """Write ``data`` whole to ``path``, mode 0600: a new file beside it, then renamed over it,
    so a reader never sees half of it and an older file's wider mode is not kept."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def create_secret(path: Path) -> None:
    """Write a new secret (64 random hex characters) whole, mode 0600, then link it into place:
    processes or threads starting at once never see a half-written one, and the first to link
    wins for all. An existing secret is kept."""
    path = Path(path)
    folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # atomic; fails if another writer got there first
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
