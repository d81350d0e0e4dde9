"""Verbs for what people use beside the scores: participation, partner-to-partner ratings (dyads),
comments, and the actions agreed per partner and factor."""
from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from pipelines.cli.output import EXIT_OK, print_records

if TYPE_CHECKING:
    from pipelines.store import Store

ASOF_HELP = ("As of a data version (a batch from `history`, or its 'Data as of' label; a pinned view): later loads, "
             "undos and edits do not count.")


def add_parsers(verbs) -> None:
    participation = verbs.add_parser(
        "participation", help="Print participation per partner and wave: invited, respondents, rate.",
        description="One record per partner x wave: partner, wave, invited, respondents, rate (0-1). A group "
                    "with fewer than anonymity_k respondents is given as 'fewer than K', with no rate.")
    participation.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
    participation.add_argument("--asof", metavar="VERSION", help=ASOF_HELP)

    dyads = verbs.add_parser(
        "dyads", help="Print how each partner's people rate each other partner, wave by wave.",
        description="One record per rating organisation x rated partner x wave: rater, target, wave, score "
                    "(0-100), respondents, suppressed. A rating organisation with fewer than anonymity_k "
                    "respondents is hidden, and so is what would let it be worked out from the matrix's totals. "
                    "Where the scores do not show an organisation's respondents in a wave, its records give a "
                    "score without respondents (suppressed false) and its ratings are in no total.")
    dyads.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
    dyads.add_argument("--wave", help="Only this survey wave, e.g. 2026-Q3 (default: every wave).")
    dyads.add_argument("--asof", metavar="VERSION", help=ASOF_HELP)

    comments = verbs.add_parser(
        "comments", help="Print what respondents wrote, per partner and wave (groups of comment_k or more).",
        description="One record per comment: partner, wave, question, text. Only partners with at least "
                    "comment_k respondents in the wave; never with a respondent or a time, in an order that "
                    "stays the same. Emails, phone numbers, web addresses and respondents' names were taken "
                    "out when the survey was loaded.")
    comments.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
    comments.add_argument("--partner", help="Only this partner's comments (its name or another name of it).")
    comments.add_argument("--wave", help="Only this survey wave, e.g. 2026-Q3 (default: every wave).")
    comments.add_argument("--asof", metavar="VERSION", help=ASOF_HELP)

    action = verbs.add_parser(
        "action", help="Add, list, edit or close the actions agreed per partner and factor.",
        description="The actions agreed per partner and factor. Each add, edit and done is a data version: a "
                    "pinned view shows the actions as they were, `history` lists the changes, `undo` takes one back.")
    steps = action.add_subparsers(dest="action_verb", required=True, metavar="{add,list,done,edit}")
    add = steps.add_parser("add", help="Add an open action.")
    add.add_argument("--partner", required=True, help="The partner (its name or another name of it).")
    add.add_argument("--factor", required=True, help="The factor it should move, e.g. 'open communication'.")
    add.add_argument("--title", required=True, help="What was agreed.")
    add.add_argument("--owner", required=True, metavar="TEXT", help="Who carries it out.")
    add.add_argument("--due", required=True, metavar="YYYY-MM-DD", help="When it is due.")
    listing = steps.add_parser("list", help="Print the actions: id, partner, factor, title, owner, due, status, created.")
    listing.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
    listing.add_argument("--partner", help="Only this partner's actions.")
    listing.add_argument("--asof", metavar="VERSION", help=ASOF_HELP)
    finished = steps.add_parser("done", help="Mark an action done (today).")
    finished.add_argument("id", type=int, metavar="ID", help="The action's id, from `action list`.")
    edit = steps.add_parser("edit", help="Change an action's title, due date or owner.")
    edit.add_argument("id", type=int, metavar="ID", help="The action's id, from `action list`.")
    edit.add_argument("--title", help="The new title.")
    edit.add_argument("--due", metavar="YYYY-MM-DD", help="The new due date.")
    edit.add_argument("--owner", metavar="TEXT", help="The new owner.")


def _dyads(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import dyads

    cursor = store.cursor()
    frame = dyads.dyads_export(cursor, wave=args.wave, asof=args.asof)
    print_records(frame, args.format, out)
    return EXIT_OK


def _comments(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import comments

    cursor = store.cursor()
    frame = comments.comments(cursor, partner=args.partner, wave=args.wave, asof=args.asof)
    print_records(frame, args.format, out)
    return EXIT_OK


def _action(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.programme import actions

    if args.action_verb == "list":
        from pipelines.query import actions as agreed

        cursor = store.cursor()
        frame = agreed.actions_export(cursor, partner=args.partner, asof=args.asof)
        print_records(frame, args.format, out)
        return EXIT_OK
    if args.action_verb == "add":
        action_id, version = actions.add(store, partner=args.partner, factor=args.factor, title=args.title,
                                         owner=args.owner, due=args.due)
        print(f"Added action {action_id} (version {version}).", file=out)
    elif args.action_verb == "edit":
        version = actions.edit(store, args.id, title=args.title, due=args.due, owner=args.owner)
        print(f"Edited action {args.id} (version {version}).", file=out)
    else:
        version = actions.done(store, args.id)
        print(f"Action {args.id} is done (version {version}).", file=out)
    return EXIT_OK


def _participation(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import participation

    cursor = store.cursor()
    frame = participation.participation_export(cursor, asof=args.asof)
    print_records(frame, args.format, out)
    return EXIT_OK


HANDLERS = {"participation": _participation, "dyads": _dyads, "comments": _comments, "action": _action}
