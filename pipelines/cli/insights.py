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

    dyads = verbs.add_parser(
        "dyads", help="Print how each partner's people rate each other partner, wave by wave.",
        description="One record per rating organisation x rated partner x wave: rater, target, wave, score "
                    "(0-100), respondents, suppressed. A rating organisation with fewer than anonymity_k "
                    "respondents is hidden, and so is what would let it be worked out from the matrix's totals.")
    dyads.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
    dyads.add_argument("--wave", help="Only this survey wave, e.g. 2026-Q3 (default: every wave).")
    dyads.add_argument("--asof", type=int, metavar="VERSION", help=ASOF_HELP)

    comments = verbs.add_parser(
        "comments", help="Print what respondents wrote, per partner and wave (groups of comment_k or more).",
        description="One record per comment: partner, wave, question, text. Only partners with at least "
                    "comment_k respondents in the wave; never with a respondent or a time, in an order that "
                    "stays the same. Emails, phone numbers, web addresses and respondents' names were taken "
                    "out when the survey was loaded.")
    comments.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
    comments.add_argument("--partner", help="Only this partner's comments (its name or another name of it).")
    comments.add_argument("--wave", help="Only this survey wave, e.g. 2026-Q3 (default: every wave).")
    comments.add_argument("--asof", type=int, metavar="VERSION", help=ASOF_HELP)


def _dyads(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import dyads
    from pipelines.store import versions

    cursor = store.cursor()
    frame = dyads.dyads_export(cursor, wave=args.wave, asof=versions.check(args.asof, cursor))
    print_records(frame, args.format, out)
    return EXIT_OK


def _comments(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import comments
    from pipelines.store import versions

    cursor = store.cursor()
    frame = comments.comments(cursor, partner=args.partner, wave=args.wave, asof=versions.check(args.asof, cursor))
    print_records(frame, args.format, out)
    return EXIT_OK


def _participation(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import participation
    from pipelines.store import versions

    cursor = store.cursor()
    frame = participation.participation_export(cursor, asof=versions.check(args.asof, cursor))
    print_records(frame, args.format, out)
    return EXIT_OK


HANDLERS = {"participation": _participation, "dyads": _dyads, "comments": _comments}
