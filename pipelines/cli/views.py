"""Verbs that print or write what the pages show: scores, pack."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pipelines.cli.output import EXIT_OK, EXIT_USAGE, factor_numbers, safe_csv

if TYPE_CHECKING:
    from pipelines.store import Store


def add_parsers(verbs) -> None:
    scores = verbs.add_parser("scores", help="Print factor scores per partner, wave and factor.")
    scores.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
    scores.add_argument("--asof", metavar="VERSION",
                        help="Scores as of a batch (a number from `history`, or its 'Data as of' label; a pinned "
                             "view): later loads and undos do not count.")

    pack = verbs.add_parser("pack", help="Write a steering pack (PowerPoint or PDF) of the programme or of a page's view.",
                            description="Write a steering pack: the programme pack (cover, index over time, "
                                        "spectrum, participation, heatmap, who rates whom, movers, one slide per "
                                        "partner and its agreed actions, scores) or the view of one page. The "
                                        "options are those of the page's link.")
    pack.add_argument("--format", choices=["pptx", "pdf"], default="pptx", help="File format.")
    pack.add_argument("--out", required=True, metavar="FILE", help="Where to write the pack.")
    pack.add_argument("--page", choices=["programme", "overview", "partner", "compare", "what-if"],
                      default="programme", help="The whole programme (default) or one page's view.")
    pack.add_argument("--wave", help="Survey wave, e.g. 2026-Q3 (default: the latest).")
    pack.add_argument("--partner", help="Partner name (partner page; the programme pack keeps only its slide).")
    pack.add_argument("--factors", action="append", metavar="FACTOR",
                      help="Factor to show (repeatable; default: all five).")
    pack.add_argument("--sort", metavar="ORDER", help="Order of partners in the heatmap: 'Partner name' "
                      "(default), 'Collaboration index' or a factor (highest first).")
    pack.add_argument("--asof", metavar="VERSION",
                      help="Pin the data to a version (a batch from `history`, or its 'Data as of' label): later "
                           "loads and undos do not count.")
    pack.add_argument("--base-url", metavar="URL",
                      help="Address of the app (e.g. https://health.example.org), for the links on every slide.")
    pack.add_argument("--comments", action="store_true",
                      help="Partner page: include what the partner's people wrote in the wave (only groups of "
                           "comment_k or more). Left out unless asked.")
    pack.add_argument("--wi-partner", metavar="PARTNER", help="Add a what-if scenario for this partner.")
    pack.add_argument("--delta", action="append", default=[], metavar="FACTOR=POINTS",
                      help="What-if: move a factor by POINTS (repeatable).")
    pack.add_argument("--weight", action="append", default=[], metavar="FACTOR=WEIGHT",
                      help="What-if: index weight of a factor (repeatable; others keep theirs).")


def _scores(store: Store, args, out: TextIO, err: TextIO) -> int:
    import json

    from pipelines import settings
    from pipelines.present import words
    from pipelines.query import scores

    frame = scores.scores_export(store.cursor(), asof=args.asof)
    k = settings.anonymity_k()
    frame["reason"] = frame["reason"].map(lambda code: words.reason(code, k), na_action="ignore")
    if args.format == "json":
        records = json.loads(frame.to_json(orient="records"))
        out.write(json.dumps(records, indent=1) + "\n")
    else:
        out.write(safe_csv(frame))
    return EXIT_OK


def _check_pack(args, err: TextIO) -> int | None:
    """Usage errors of ``pack``, found before the store is opened."""
    if (args.delta or args.weight) and not args.wi_partner:
        print("--delta and --weight need --wi-partner.", file=err)
        return EXIT_USAGE
    if args.comments and args.page != "partner":
        print("--comments needs --page partner: only a partner's pack has its comments.", file=err)
        return EXIT_USAGE
    return None


def _pack(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines import settings
    from pipelines.present import links, pack
    from pipelines.store import private

    scenarios = ()
    if args.wi_partner:
        weights = factor_numbers(args.weight, "weight")
        scenarios = (links.Scenario(args.wi_partner, factor_numbers(args.delta, "delta"),
                                   {**settings.index_weights(), **weights} if weights else None),)
    if args.base_url:
        try:
            base_url = settings.address(args.base_url)
        except ValueError as problem:
            print(f"--base-url: {problem}.", file=err)
            return EXIT_USAGE
    else:
        base_url = settings.get("public_url") or None
    view = links.LinkState(page=args.page, partner=args.partner, wave=args.wave,
                         factors=tuple(args.factors) if args.factors else None, sort=args.sort,
                         asof=args.asof, scenarios=scenarios, comments=args.comments)
    model = pack.view_model(view, cursor=store.cursor())
    slides = pack.build_slides(view=view, base_url=base_url, model=model)
    data = pack.render_slides(slides, args.format, pack.pack_title(model, view))
    target = Path(args.out).expanduser()
    private.write(private.folder(target.parent) / target.name, data)
    print(f"Wrote {target} ({len(data) // 1024} KB).", file=out)
    if base_url is None:  # the example: this pack's own first link (its cover's)
        print(f"note: the pack's links are paths such as {slides[0].link}, without the app's address, so they "
              "do not open from the pack. Set PARTNERSHIP_PUBLIC_URL to the address people open the app at "
              "(for example https://health.example.org), or pass --base-url.", file=err)
    return EXIT_OK


CHECKS = {"pack": _check_pack}  # run before the store opens: a usage error answers at once
HANDLERS = {"scores": _scores, "pack": _pack}
