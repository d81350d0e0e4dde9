"""python -m pipelines: the same pipelines as the app, for scheduled loads and scripting."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence, TextIO

import pandas as pd

from pipelines import ingest, settings
from pipelines.ingest import mapping, readers
from pipelines.ingest.fields import DATASETS, required_fields
from pipelines.programme import bootstrap
from pipelines.programme.factors import key as factor_key
from pipelines.store import Store, StoreBusy, db_path, handoff, versions
from pipelines.store.lake import LakeBusyError

EXIT_OK, EXIT_INVALID, EXIT_NEEDS_DECISION, EXIT_BUSY, EXIT_USAGE = 0, 1, 2, 3, 64


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines",
        description="Partnership Health: load exports, undo loads, and print scores from the command line. "
                    "Settings come from PARTNERSHIP_* environment variables (see README).",
    )
    parser.add_argument("--db", help="Database file (default: PARTNERSHIP_DB or data/partnership.duckdb).")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    load = verbs.add_parser("load", help="Read, check and load one export file as one batch.",
                            description="Read, map, check and load FILE as one batch: all of it or nothing "
                                        "(unless --accept-valid). Loading the same file twice changes nothing.")
    load.add_argument("file", metavar="FILE", help="CSV, TSV or XLSX export.")
    load.add_argument("--dataset", required=True, choices=list(DATASETS), help="What the file holds.")
    load.add_argument("--sheet", help="Worksheet to read from an XLSX file (default: detected).")
    load.add_argument("--mapping", metavar="JSON", help="Column mapping file {field: column}, as written "
                      "by an earlier run; without it the mapping is inferred and printed.")
    load.add_argument("--write-mapping", metavar="JSON", help="Where to write the inferred mapping when a "
                      "field needs a decision (default: FILE.mapping.json).")
    load.add_argument("--wave", help="Survey: one wave for the whole file, e.g. 2025-Q3 or 2025-03.")
    load.add_argument("--partner", help="Survey: one partner for the whole file.")
    load.add_argument("--date-order", choices=["dayfirst", "monthfirst"],
                      help="How to read dates like 03/04/2025 when the file cannot tell.")
    load.add_argument("--partner-alias", action="append", default=[], metavar="NAME=PARTNER",
                      help="Treat NAME in the file as the known PARTNER (repeatable); remembered.")
    load.add_argument("--new-partner", action="append", default=[], metavar="NAME",
                      help="Confirm NAME as a new partner although it resembles a known one (repeatable).")
    load.add_argument("--accept-valid", action="store_true",
                      help="Load the valid rows and record the invalid ones, instead of refusing the file.")
    load.add_argument("--demo", action="store_true", help=argparse.SUPPRESS)

    verbs.add_parser("history", help="List the load batches, newest first.")
    undo = verbs.add_parser("undo", help="Undo a load batch (pinned links keep showing it).")
    undo.add_argument("batch", type=int, metavar="BATCH", help="Batch number from `history`.")
    rejected = verbs.add_parser("rejected", help="Print the rows a batch did not load, with the reasons.")
    rejected.add_argument("batch", type=int, metavar="BATCH")

    scores = verbs.add_parser("scores", help="Print factor scores per partner, wave and factor.")
    scores.add_argument("--format", choices=["csv", "json"], default="csv", help="Output format.")
    scores.add_argument("--asof", type=int, metavar="VERSION",
                        help="Scores as of a batch (a pinned view): later loads and undos do not count.")

    demo = verbs.add_parser("demo", help="Load the demo programme (or remove it with --remove).")
    demo.add_argument("--remove", action="store_true", help="Delete the demo programme in one step.")

    pack = verbs.add_parser("pack", help="Write a steering pack (PowerPoint or PDF) of the programme or of a page's view.",
                            description="Write a steering pack: the programme pack (cover, index over time, "
                                        "spectrum, heatmap, movers, one slide per partner, scores) or the "
                                        "view of one page. The options are those of the page's link.")
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
    pack.add_argument("--asof", type=int, metavar="VERSION",
                      help="Pin the data to a version (a batch from `history`): later loads and undos do not count.")
    pack.add_argument("--base-url", metavar="URL",
                      help="Address of the app (e.g. https://health.example.org), for the links on every slide.")
    pack.add_argument("--wi-partner", metavar="PARTNER", help="Add a what-if scenario for this partner.")
    pack.add_argument("--delta", action="append", default=[], metavar="FACTOR=POINTS",
                      help="What-if: move a factor by POINTS (repeatable).")
    pack.add_argument("--weight", action="append", default=[], metavar="FACTOR=WEIGHT",
                      help="What-if: index weight of a factor (repeatable; others keep theirs).")

    template = verbs.add_parser("template", help="Print a CSV template for a dataset.")
    template.add_argument("dataset", choices=list(DATASETS))
    return parser


def main(argv: Sequence[str] | None = None, *, store: Store | None = None,
         out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0) and EXIT_USAGE
    if args.verb == "template":
        out.write(ingest.template(args.dataset).decode("utf-8-sig"))
        return EXIT_OK
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


def _load(store: Store, args, out: TextIO, err: TextIO) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"No such file: {path}", file=err)
        return EXIT_USAGE
    if args.dataset == "survey":
        bootstrap.ensure_instrument(store)
    options = ingest.Options(sheet=args.sheet, wave=args.wave, partner=args.partner,
                             date_order=args.date_order)
    if args.mapping:
        options.mapping = json.loads(Path(args.mapping).read_text())
    for pair in args.partner_alias:
        name, _, partner = pair.partition("=")
        if not partner:
            print(f"--partner-alias needs NAME=PARTNER, not '{pair}'.", file=err)
            return EXIT_USAGE
        options.partner_links[name.strip()] = partner.strip()
    if args.new_partner:
        options.partner_links.update({name: name for name in args.new_partner})
    limit = int(settings.get("upload_limit_mb"))
    size = path.stat().st_size
    if size > limit * 1024 * 1024:  # refused before the file is read
        print(f"{path.name} is {size / 1024 / 1024:.1f} MB, larger than the upload limit of {limit} MB "
              "(PARTNERSHIP_UPLOAD_LIMIT_MB); nothing was loaded. Export fewer rows (for example one wave "
              "or one date range at a time), or raise PARTNERSHIP_UPLOAD_LIMIT_MB.", file=err)
        return EXIT_INVALID
    try:
        preview = ingest.prepare(store, args.dataset, path.name, path.read_bytes(), options)
    except readers.ReadError as problem:
        print(f"{path.name}: {problem}", file=err)
        return EXIT_INVALID
    if preview.already_loaded is not None:
        print(preview.notes[0], file=out)
        return EXIT_OK
    for note in preview.notes:
        print(f"note: {note}", file=err)
    if not args.mapping:
        print("mapping used: " + json.dumps(preview.mapping_used()), file=err)
    if not args.mapping and not preview.mapping_confident:
        target = Path(args.write_mapping or f"{path}.mapping.json")
        target.write_text(json.dumps({f: s.column for f, s in preview.mapping.items()}, indent=2) + "\n")
        unsure = [f"{s.field} (best guess: {s.column or 'none'}, {s.confidence:.0%})"
                  for s in preview.mapping.values() if s.confidence < mapping.HIGH
                  and s.field in required_fields(args.dataset)]
        for question in preview.questions:
            if question.startswith("This file looks like"):  # the wrong dataset was chosen
                print(f"Not loaded: {question}", file=err)
        print(f"Not loaded: these fields need a decision: {'; '.join(unsure)}. The inferred mapping is in "
              f"{target}; edit it and run again with --mapping {target}.", file=err)
        return EXIT_NEEDS_DECISION
    if preview.questions:
        print("Not loaded: " + " ".join(preview.questions), file=err)
        return EXIT_NEEDS_DECISION
    validation = preview.validation
    if not validation.ok:
        _print_failures(validation.failures, path.name, err)
    try:
        result = ingest.commit(store, preview, is_demo=args.demo,
                               policy="valid_only" if args.accept_valid else "all_or_nothing")
    except ingest.Refused as refused:
        print(f"{refused} (Use --accept-valid to load the valid rows only.)", file=err)
        return EXIT_INVALID
    print(result.message, file=out)
    return EXIT_OK


def _print_failures(failures: pd.DataFrame, name: str, err: TextIO, limit: int = 50) -> None:
    for row in failures.head(limit).itertuples(index=False):
        shown = row.value if row.value is None or len(row.value) <= 80 else (
            f"{row.value[:60]}... ({len(row.value)} characters)")
        value = "" if row.value is None else f" (value: {shown!r})"
        print(f"{name}: row {row.source_row}, column '{row.column}': {row.message}{value}", file=err)
    if len(failures) > limit:
        print(f"... and {len(failures) - limit} more problems.", file=err)


def _history(store: Store, args, out: TextIO, err: TextIO) -> int:
    frame = versions.history(store.cursor())
    if frame.empty:
        print("No batches loaded yet.", file=out)
        return EXIT_OK
    frame["loaded_at"] = frame["loaded_at"].dt.strftime("%Y-%m-%d %H:%M")
    columns = ["batch", "dataset", "file", "loaded_at", "rows_in", "rows_accepted", "rows_rejected", "state"]
    out.write(frame[columns].to_string(index=False) + "\n")
    return EXIT_OK


def _undo(store: Store, args, out: TextIO, err: TextIO) -> int:
    print(ingest.undo(store, args.batch), file=out)
    return EXIT_OK


def _rejected(store: Store, args, out: TextIO, err: TextIO) -> int:
    frame = ingest.rejected_rows(store.cursor(), args.batch)
    out.write(_safe_csv(frame))
    return EXIT_OK


def _scores(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.query import scores

    frame = scores.scores_export(store.cursor(), asof=args.asof)
    if args.format == "json":
        records = json.loads(frame.to_json(orient="records"))
        out.write(json.dumps(records, indent=1) + "\n")
    else:
        out.write(_safe_csv(frame))
    return EXIT_OK


def _demo(store: Store, args, out: TextIO, err: TextIO) -> int:
    if args.remove:
        removed = ingest.remove_demo(store)
        print(f"Removed the demo programme ({removed} batches)." if removed else "No demo data to remove.",
              file=out)
        return EXIT_OK
    if versions.is_demo(store.cursor()):
        print("The demo programme is already loaded.", file=out)
        return EXIT_OK
    results = bootstrap.load_demo(store)
    rows = sum(r.rows_accepted for r in results)
    print(f"Loaded the demo programme: {len(results)} files, {rows} rows.", file=out)
    return EXIT_OK


def _pack(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.present import pack

    def pairs(items: list[str], what: str) -> dict[str, float]:
        values = {}
        for item in items:
            name, _, number = item.partition("=")
            try:
                values[factor_key(name)] = float(number)
            except ValueError:
                raise ValueError(f"--{what} needs FACTOR=NUMBER, not '{item}'.") from None
        return values

    scenarios = ()
    if args.wi_partner or args.delta or args.weight:
        if not args.wi_partner:
            print("--delta and --weight need --wi-partner.", file=err)
            return EXIT_USAGE
        weights = pairs(args.weight, "weight")
        scenarios = (pack.Scenario(args.wi_partner, pairs(args.delta, "delta"),
                                   {**settings.index_weights(), **weights} if weights else None),)
    view = pack.PackView(page=args.page, partner=args.partner, wave=args.wave,
                         factors=tuple(args.factors) if args.factors else None, sort=args.sort,
                         asof=args.asof, scenarios=scenarios)
    data = pack.build_pack(store.cursor(), view=view, fmt=args.format, base_url=args.base_url)
    target = Path(args.out).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    print(f"Wrote {target} ({len(data) // 1024} KB).", file=out)
    return EXIT_OK


def _safe_csv(frame: pd.DataFrame) -> str:
    from pipelines.present.exports import neutralise_formulas

    return neutralise_formulas(frame).to_csv(index=False)


VERBS = {"load": _load, "history": _history, "undo": _undo, "rejected": _rejected, "scores": _scores,
         "demo": _demo, "pack": _pack}
