"""python -m pipelines: the same pipelines as the app, for scheduled loads and scripting.

Each module here adds a group of verbs: ``add_parsers(verbs)``, ``HANDLERS`` (verb -> a function
of (store, args, out, err) returning an exit code) and, optionally, ``CHECKS`` (verb -> a function
of (args, err) returning an exit code for a usage error, else None; run before the store opens).
Heavy libraries are imported inside the handlers that need them, so ``--help`` and usage errors
answer at once (tests/test_cli_imports.py).
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, TextIO

from pipelines.cli import admin, analysis, data, insights, views
from pipelines.cli.output import (  # noqa: F401
    EXIT_BUSY,
    EXIT_INVALID,
    EXIT_NEEDS_DECISION,
    EXIT_OK,
    EXIT_USAGE,
    PlainText,
)

if TYPE_CHECKING:
    from pipelines.store import Store

VERB_GROUPS = (data, views, analysis, insights, admin)
VERBS = {name: handler for group in VERB_GROUPS for name, handler in group.HANDLERS.items()}
CHECKS = {name: check for group in VERB_GROUPS for name, check in getattr(group, "CHECKS", {}).items()}
STORELESS = {name: rule for group in VERB_GROUPS for name, rule in getattr(group, "STORELESS", {}).items()}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description="Partnership Health: load exports, undo loads, and print scores from the command line. "
                    "Settings come from PARTNERSHIP_* environment variables (see README).",
    )
    parser.add_argument("--db", help="Database file (default: PARTNERSHIP_DB or data/partnership.duckdb).")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for group in VERB_GROUPS:
        group.add_parsers(verbs)
    return parser


def main(argv: Sequence[str] | None = None, *, store: Store | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = PlainText(out or sys.stdout), PlainText(err or sys.stderr)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0) and EXIT_USAGE
    if args.verb in CHECKS and (code := CHECKS[args.verb](args, err)) is not None:
        return code
    if args.verb in STORELESS and STORELESS[args.verb](args):
        return VERBS[args.verb](None, args, out, err)
    import duckdb

    from pipelines import ingest, settings
    from pipelines.query.respondents import UnknownWave
    from pipelines.store import (
        Store,
        StoreBusy,
        StoreMissing,
        StoreTooNew,
        db_path,
        handoff,
        lake,
        versions,
    )

    locations = [settings.get("db"), args.db, getattr(args, "to", None)]
    say = functools.partial(_say, err, [str(place) for place in locations if place])
    opening = {"create": args.verb not in admin.AS_FOUND, "migrate": args.verb not in admin.PROBES}
    own = store is None
    path = None
    try:
        if own:
            path = Path(args.db).expanduser().resolve() if args.db else db_path()
            try:
                store = Store(path, wait_seconds=0, **opening)
            except StoreBusy:
                if handoff.owner_taking_jobs(path):
                    portable = _portable(list(argv if argv is not None else sys.argv[1:]), args.verb)
                    problem = handoff.files_problem(os.getuid(), *files_of(portable))
                    if problem:  # the app would refuse it too; say so before handing it over
                        say(problem)
                        return EXIT_INVALID
                    code, text, problems = handoff.submit(path, portable)
                    out.write(text)
                    err.write(problems)
                    return code
                store = Store(path, **opening)
        try:
            if getattr(args, "asof", None) is not None:  # every verb that takes --asof: a number or a label
                args.asof = versions.parse(args.asof, store.cursor())
            return VERBS[args.verb](store, args, out, err)
        except duckdb.Error as error:
            reason = lake.reachable(store.lake) if store.is_lake else None
            if reason is None:
                raise
            raise lake.LakeUnreachable(store.lake, reason) from error
    except (versions.UnknownVersion, UnknownWave) as unknown:  # a usage error: it names those there are
        say(unknown)
        return EXIT_USAGE
    except (ValueError, ingest.NotReady) as problem:
        say(problem)
        return EXIT_INVALID
    except (StoreBusy, lake.LakeBusyError, lake.LakeUnreachable, StoreMissing, StoreTooNew,
            lake.LakeOpenError) as problem:  # the store cannot be opened or written to now
        if args.verb in admin.PROBES:
            say(f"not ready: {problem}")
            return EXIT_INVALID
        say(problem)
        busy = isinstance(problem, (StoreBusy, lake.LakeBusyError, lake.LakeUnreachable))
        return EXIT_BUSY if busy else EXIT_INVALID
    except (OSError, duckdb.Error) as problem:  # a file or the store that cannot be read or written
        said = _cannot(problem, path)
        say(f"not ready: {said}" if args.verb in admin.PROBES else said)
        return EXIT_INVALID
    finally:
        if own and store is not None:
            store.close()


def _cannot(problem: Exception, store_path: Path | None) -> str:
    """A file or store the command could not use, in a sentence: which, why, what to do."""
    if isinstance(problem, OSError):
        where = problem.filename or store_path or "a file"
        why = problem.strerror or str(problem)
        return (f"Could not use {where}: {why}. Check that the path names a file (not a folder), that it "
                "exists where it is read, and that this account may read it (and write to its folder).")
    first = str(problem).strip().splitlines()[0] if str(problem).strip() else type(problem).__name__
    which = f"The store {store_path}" if store_path else "The store"
    return (f"{which} could not be opened or written ({first}). Check that it is a Partnership Health "
            "store (PARTNERSHIP_DB or --db) and that this account may write to its folder; "
            "`python -m pipelines check` says more.")


def _say(err: TextIO, locations: list[str], message) -> None:
    """A message to the error stream, without any password of the store locations in play."""
    from pipelines.store import lake

    text = str(message)
    for location in locations:
        text = lake.redact(text, location)
    print(text, file=err)


def _portable(argv: list[str], verb: str | None = None) -> list[str]:
    """The same command for another process: file paths made absolute, --db left out; a pack's
    links start with this process's ``public_url`` (the app's process may not have it set)."""
    from pipelines import settings

    if verb == "pack" and not any(t == "--base-url" or t.startswith("--base-url=") for t in argv) \
            and settings.get("public_url"):
        argv = [*argv, "--base-url", settings.get("public_url")]
    portable, skip = [], False
    for position, token in enumerate(argv):
        if skip:
            skip = False
            continue
        if token == "--db":
            skip = True
            continue
        if token.startswith("--db="):
            continue
        previous = argv[position - 1] if position else ""
        if Path(token).exists() or previous in ("--write-mapping", "--out"):
            token = os.path.abspath(token)  # a link stays a link, for the hand-off's checks
        portable.append(token)
    return portable


def files_of(argv: Sequence[str]) -> tuple[list[Path], list[Path]]:
    """The files a command reads (those that exist) and writes, for the hand-off's checks of the
    account that asked (``pipelines.store.handoff``). Raises SystemExit on a usage error."""
    with contextlib.redirect_stderr(io.StringIO()):  # the command itself reports usage errors
        args = build_parser().parse_args(list(argv))
    reads = [Path(p) for p in (getattr(args, "file", None), getattr(args, "mapping", None)) if p]
    writes = [Path(args.out)] if getattr(args, "out", None) else []
    if args.verb == "load" and not args.mapping:  # where an unsure mapping is written
        writes.append(data.mapping_file(args))
    return [p for p in reads if p.exists()], writes
