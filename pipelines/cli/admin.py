"""Verbs for whoever runs the product for an organisation: check, migrate, maintain."""
from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from pipelines.cli.output import EXIT_INVALID, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from pipelines.store import Store

PROBES = frozenset({"check"})  # open the store as found (nothing created or migrated); not open = not ready
AS_FOUND = frozenset({"check", "migrate", "maintain"})  # never create a store that is not there


def add_parsers(verbs) -> None:
    verbs.add_parser(
        "check", help="Readiness probe: one line, exit 0 when this replica can serve the programme, else 1.",
        description="Exit 0 with one line when the store is reachable, its schema current, the salt file "
                    "present and the one the store was written with, and the data folder writable; exit 1 "
                    "with the reason otherwise. Creates and changes nothing: use it as the readiness probe "
                    "of a load balancer or service manager.")
    migrate = verbs.add_parser(
        "migrate", help="Copy the DuckDB file's programme, with every version, into a new DuckLake store.",
        description="Copy every batch, version, row, partner, alias, remembered mapping and rejected row of "
                    "the DuckDB file (--db or PARTNERSHIP_DB) into a new, empty DuckLake store, in one "
                    "transaction. Pinned links open the same views afterwards. The file is not changed.")
    migrate.add_argument("--to", required=True, metavar="LOCATION",
                         help="The DuckLake store: 'ducklake:postgres:dbname=NAME host=HOST port=PORT user=USER' "
                              "(a password belongs in ~/.pgpass, not here); PARTNERSHIP_LAKE_DATA_PATH names "
                              "its data folder.")
    maintain = verbs.add_parser(
        "maintain", help="Merge small files, flush inlined data, expire old snapshots (DuckLake) or checkpoint (file).",
        description="On a DuckLake store: DuckLake's own maintenance (flush inlined data, expire snapshots, "
                    "merge adjacent files, rewrite mostly deleted files, remove unused and orphaned files), "
                    "under the write lock. Pinned links are unaffected: data versions live in the product's "
                    "tables, not in DuckLake snapshots. On a DuckDB file: a checkpoint.")
    maintain.add_argument("--keep-minutes", type=int, default=60, metavar="MINUTES",
                          help="Keep replaced snapshots and files this long, for queries running now "
                               "(default 60).")


def _check(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.store import readiness

    verdict = readiness.check(store)
    print(verdict.line(), file=out if verdict.ready else err)
    return EXIT_OK if verdict.ready else EXIT_INVALID


def _migrate(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.store import transfer

    print(transfer.move_to_lake(store, args.to).sentence(), file=out)
    return EXIT_OK


def _maintain(store: Store, args, out: TextIO, err: TextIO) -> int:
    import datetime as dt

    from pipelines.store import maintenance

    if args.keep_minutes < 0:
        print("--keep-minutes cannot be negative.", file=err)
        return EXIT_USAGE
    print(maintenance.maintain(store, dt.timedelta(minutes=args.keep_minutes)), file=out)
    return EXIT_OK


HANDLERS = {"check": _check, "migrate": _migrate, "maintain": _maintain}
