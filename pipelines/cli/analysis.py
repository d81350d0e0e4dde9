"""Verbs that print the method's numbers, from the same functions the pages call: alerts,
evidence, whatif, reliability (METHOD.md says how each is made)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from pipelines.cli.output import EXIT_INVALID, EXIT_OK, factor_numbers, safe_csv

if TYPE_CHECKING:
    from pipelines.store import Store


def add_parsers(verbs) -> None:
    def table_options(parser, wave: bool = True) -> None:
        parser.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
        if wave:
            parser.add_argument("--wave", help="Survey wave, e.g. 2026-Q3 (default: the latest).")
        parser.add_argument("--asof", metavar="VERSION",
                            help="Pin the data to a version (a batch from `history`, or its 'Data as of' "
                                 "label): later loads and undos do not count.")

    table_options(verbs.add_parser(
        "alerts", help="Print the alerts the Overview shows: falls and survey-evidence "
                       "disagreements beyond noise, with the adjusted p-values.",
        description="One record per alert of the wave: kind (fell, disagreement), partner, "
                    "factor, wave, compared_with, change with its 95% interval (change_low, "
                    "change_high), p_value and p_adjusted (Benjamini-Hochberg, q = 0.05), note."))
    evidence = verbs.add_parser(
        "evidence", help="Print the delivery and issue indicators per partner and period.",
        description="Per partner x period (the wave, or every period): each indicator's value "
                    "and 95% interval, the count it rests on and what that counts, the events "
                    "behind it, and the factor it corroborates. With --pooled: the figures the "
                    "Partner profile's evidence cards show, each pooled over the periods it needs.")
    table_options(evidence)
    evidence.add_argument("--pooled", action="store_true",
                          help="Per partner x compared indicator of the wave (default: the latest): "
                               "its value pooled from the wave back until it rests on enough events, "
                               "the other partners' over the same periods, and the test between them.")
    whatif = verbs.add_parser(
        "whatif", help="Print a partner's what-if: its index moved by the changes, the band, "
                       "and the delivery projection or why there is none.",
        description="The What-if page's content for one scenario: index (now, projected, "
                    "interval), band, and per indicator now, projected, interval and status "
                    "(projected, no reliable projection, outside observed range).")
    whatif.add_argument("--partner", required=True, help="Partner name.")
    whatif.add_argument("--delta", action="append", default=[], metavar="FACTOR=POINTS",
                        help="Move a factor by POINTS (repeatable; others stay).")
    whatif.add_argument("--weight", action="append", default=[], metavar="FACTOR=WEIGHT",
                        help="Index weight of a factor (repeatable; others keep theirs).")
    whatif.add_argument("--asof", metavar="VERSION",
                        help="Pin the data to a version (a batch from `history`, or its 'Data as of' label).")
    whatif.add_argument("--format", choices=["json"], default="json", help="Output format.")
    table_options(verbs.add_parser(
        "reliability", help="Print Cronbach's alpha per factor and wave, with a warning below 0.7.",
        description="Per wave x factor over the programme's respondents: alpha, respondents, "
                     "items answered, status (ok, below 0.7, fewer than three items answered, "
                     "fewer than k respondents) and a note."), wave=False)


def _print(frame, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        out.write(json.dumps(json.loads(frame.to_json(orient="records")), indent=1) + "\n")
    else:
        out.write(safe_csv(frame))


def _alerts(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import alerts, scores
    from pipelines.query.respondents import known_wave

    cursor = store.cursor()
    known_wave(args.wave, scores.waves(cursor, args.asof)["wave"].astype(str).tolist())
    frame = alerts.alerts(cursor, wave=args.wave, asof=args.asof)
    _print(frame.round({c: 2 for c in ("score", "compared_score", "change", "change_low",
                                       "change_high")}), args.format, out)
    return EXIT_OK


def _evidence(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import evidence
    from pipelines.query.respondents import known_wave

    cursor = store.cursor()
    known_wave(args.wave, evidence.periods(cursor, args.asof)["wave"].astype(str).tolist())
    basis = {i.name: i.basis for i in evidence.INDICATORS}
    if args.pooled:
        _print(_pooled(cursor, evidence, args, basis), args.format, out)
        return EXIT_OK
    frame = evidence.indicators(cursor, asof=args.asof,
                                waves=None if args.wave is None else [args.wave])
    frame = frame.assign(basis=frame["indicator"].map(basis))
    _print(frame[["partner", "wave", "indicator", "factor", "value", "low", "high", "count",
                  "basis", "events"]], args.format, out)
    return EXIT_OK


def _pooled(cursor, evidence, args, basis: dict[str, str]):
    """``evidence.pooled`` as the cards say it: partner names, the window, both values, the test."""
    from pipelines.query import scores

    spans = evidence.periods(cursor, args.asof)
    wave = args.wave or (str(spans["wave"].iloc[-1]) if len(spans) else None)
    frame = evidence.pooled(cursor, asof=args.asof, wave=wave)
    known = scores.partners(cursor)
    names = dict(zip(known["partner_id"], known["name"]))
    return frame.assign(
        partner=frame["partner_id"].map(names), wave=wave, basis=frame["indicator"].map(basis),
        compared=(frame["events"] >= evidence.MIN_EVENTS) & (frame["others_events"] >= evidence.MIN_EVENTS),
    ).rename(columns={"evidence_from": "pooled_from", "evidence_value": "value", "evidence_p": "p_value"})[
        ["partner", "wave", "indicator", "factor", "pooled_from", "periods", "value", "others_value",
         "events", "others_events", "basis", "compared", "p_value", "direction"]].sort_values(
        ["partner", "factor", "indicator"], kind="stable")


def _whatif(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import scenario

    result = scenario.scenario(store.cursor(), args.partner, factor_numbers(args.delta, "delta"),
                               factor_numbers(args.weight, "weight"), asof=args.asof)
    out.write(json.dumps(result.as_json(), indent=1) + "\n")
    return EXIT_OK


def _check_whatif(args, err: TextIO) -> int | None:
    """--delta and --weight read before the store opens: a mistyped one answers at once."""
    try:
        factor_numbers(args.delta, "delta")
        factor_numbers(args.weight, "weight")
    except ValueError as problem:
        print(problem, file=err)
        return EXIT_INVALID
    return None


def _reliability(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import reliability

    _print(reliability.reliability(store.cursor(), asof=args.asof).round({"alpha": 3}),
           args.format, out)
    return EXIT_OK


HANDLERS = {"alerts": _alerts, "evidence": _evidence, "whatif": _whatif,
            "reliability": _reliability}
CHECKS = {"whatif": _check_whatif}  # run before the store opens: a usage error answers at once
