"""Verbs for what people use beside the scores: participation, partner-to-partner ratings (dyads),
comments, and the actions agreed per partner and factor."""
from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from pipelines.cli.output import EXIT_OK, print_records

if TYPE_CHECKING:
    from pipelines.store import Store

ASOF_HELP = "As of a data version (a pinned view): later loads, undos and edits do not count."


def add_parsers(verbs) -> None:
    participation = verbs.add_parser(
        "participation", help="Print participation per partner and wave: invited, respondents, rate.",
        description="One record per partner x wave: partner, wave, invited, respondents, rate (0-1). A group "
                    "with fewer than anonymity_k respondents is given as 'fewer than K', with no rate.")
    participation.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
    participation.add_argument("--asof", type=int, metavar="VERSION", help=ASOF_HELP)


def _participation(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import participation
    from pipelines.store import versions

    cursor = store.cursor()
    frame = participation.participation_export(cursor, asof=versions.check(args.asof, cursor))
    print_records(frame, args.format, out)
    return EXIT_OK


HANDLERS = {"participation": _participation}
