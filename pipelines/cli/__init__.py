"""python -m pipelines: the same pipelines as the app, for scheduled loads and scripting.

Each module here adds a group of verbs (``add_parsers`` returns their handlers); a handler
takes (store, args, out, err) and returns an exit code. Heavy libraries are imported inside
the handlers that need them, so ``--help`` and usage errors answer at once.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, TextIO

from pipelines.cli import data, insights, views
from pipelines.cli.output import (  # noqa: F401
    EXIT_BUSY,
    EXIT_INVALID,
    EXIT_NEEDS_DECISION,
    EXIT_OK,
    EXIT_USAGE,
)

if TYPE_CHECKING:
    from pipelines.store import Store

VERB_GROUPS = (data, views, insights)
NO_STORE = frozenset({"template"})  # verbs that never open the programme's store
VERBS = {name: handler for group in VERB_GROUPS for name, handler in group.HANDLERS.items()}


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
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0) and EXIT_USAGE
    if args.verb in NO_STORE:
        return VERBS[args.verb](None, args, out, err)
    from pipelines import ingest
    from pipelines.store import Store, StoreBusy, db_path, handoff
    from pipelines.store.lake import LakeBusyError

    own = store is None
    if own:
        path = Path(args.db).expanduser().resolve() if args.db else db_path()
        try:
            store = Store(path, wait_seconds=0)
        except StoreBusy:
            if handoff.owner_taking_jobs(path):
                code, text, problems = handoff.submit(path, _portable(list(argv or sys.argv[1:])))
                out.write(text)
                err.write(problems)
                return code
            try:
                store = Store(path)
            except StoreBusy as busy:
                print(str(busy), file=err)
                return EXIT_BUSY
    try:
        return VERBS[args.verb](store, args, out, err)
    except (ValueError, ingest.NotReady) as problem:
        print(str(problem), file=err)
        return EXIT_INVALID
    except LakeBusyError as busy:
        print(str(busy), file=err)
        return EXIT_BUSY
    finally:
        if own:
            store.close()


def _portable(argv: list[str]) -> list[str]:
    """The same command for another process: file paths made absolute, --db left out."""
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
            token = str(Path(token).resolve())
        portable.append(token)
    return portable


