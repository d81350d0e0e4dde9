"""Verbs that change or list the programme's data: load, history, undo, rejected, demo, template."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pipelines.cli.output import (
    EXIT_INVALID,
    EXIT_NEEDS_DECISION,
    EXIT_OK,
    EXIT_USAGE,
    safe_csv,
)
from pipelines.ingest.fields import DATASETS

if TYPE_CHECKING:
    from pipelines.store import Store


def add_parsers(verbs) -> None:
    load = verbs.add_parser("load", help="Read, check and load one export file as one batch.",
                            description="Read, map, check and load FILE as one batch: all of it or nothing "
                                        "(unless --accept-valid). Loading the same file twice changes nothing.")
    load.add_argument("file", metavar="FILE", help="CSV, TSV, XLSX, Primavera P6 XER or MS Project XML export.")
    load.add_argument("--dataset", required=True, choices=list(DATASETS), help="What the file holds.")
    load.add_argument("--sheet", help="Worksheet to read from an XLSX file (default: detected).")
    load.add_argument("--mapping", metavar="JSON", help="Column mapping file {field: column}, as written "
                      "by an earlier run; without it the mapping is inferred and printed.")
    load.add_argument("--write-mapping", metavar="JSON", help="Where to write the inferred mapping when a "
                      "field needs a decision (default: FILE.mapping.json).")
    load.add_argument("--wave", help="Survey or headcount: one wave for the whole file, e.g. 2025-Q3 or 2025-03.")
    load.add_argument("--partner", help="Survey: one partner for the whole file (no partner column needed).")
    load.add_argument("--delimiter", metavar="{comma,semicolon,tab,pipe}",
                      help="Text files: the character between columns, when the one detected is wrong.")
    load.add_argument("--include-partial", action="store_true",
                      help="Survey: also load responses closed before the end (Finished = False, Progress < 100).")
    load.add_argument("--date-order", choices=["dayfirst", "monthfirst"],
                      help="How to read dates like 03/04/2025 when the file cannot tell.")
    load.add_argument("--partner-alias", action="append", default=[], metavar="NAME=PARTNER",
                      help="Treat NAME in the file as the known PARTNER (repeatable); remembered.")
    load.add_argument("--new-partner", action="append", default=[], metavar="NAME",
                      help="Confirm NAME as a new partner although it resembles a known one (repeatable).")
    load.add_argument("--accept-new-partners", action="store_true",
                      help="Add every new partner name of the file (asked when there are more than a few), "
                           "except those resembling a known partner.")
    load.add_argument("--schedule", metavar="NAME",
                      help="Milestones: this file is the schedule NAME; its ids are kept apart from other "
                           "schedules' ('NAME: A1000'). Give the same NAME each time that schedule is loaded.")
    load.add_argument("--replaces-schedule", action="store_true",
                      help="Milestones: this file is a new version of the schedule whose ids it shares, "
                           "though most of their titles changed.")
    load.add_argument("--accept-valid", action="store_true",
                      help="Load the valid rows and record the invalid ones, instead of refusing the file.")
    load.add_argument("--demo", action="store_true", help=argparse.SUPPRESS)

    verbs.add_parser("history", help="List the load batches, newest first.")
    undo = verbs.add_parser("undo", help="Undo a load batch (pinned links keep showing it).")
    undo.add_argument("batch", type=int, metavar="BATCH", help="Batch number from `history`.")
    rejected = verbs.add_parser("rejected", help="Print the rows a batch did not load, with the reasons.")
    rejected.add_argument("batch", type=int, metavar="BATCH")

    demo = verbs.add_parser("demo", help="Load the demo programme (or remove it with --remove).")
    demo.add_argument("--remove", action="store_true", help="Delete the demo programme in one step.")

    template = verbs.add_parser("template", help="Print a CSV template for a dataset (a survey's has the "
                                "current instrument's questions, in its order).")
    template.add_argument("dataset", choices=list(DATASETS))


def _template(store: Store | None, args, out: TextIO, err: TextIO) -> int:
    from pipelines import ingest

    out.write(ingest.template(args.dataset, store and store.cursor()).decode("utf-8-sig"))
    return EXIT_OK


def _check_load(args, err: TextIO) -> int | None:
    """Usage errors of ``load``, found before the store is opened."""
    if Path(args.file).is_dir():
        print(f"{Path(args.file)} is a folder: give the export file in it.", file=err)
        return EXIT_USAGE
    if not Path(args.file).is_file():
        print(f"No such file: {Path(args.file)}", file=err)
        return EXIT_USAGE
    if args.delimiter is not None:
        from pipelines.ingest.delimiters import DELIMITER_NAMES

        if DELIMITER_NAMES.get(args.delimiter, args.delimiter) not in DELIMITER_NAMES.values():
            print(f"--delimiter must be one of {', '.join(DELIMITER_NAMES)}, not '{args.delimiter}'.", file=err)
            return EXIT_USAGE
    for pair in args.partner_alias:
        if not pair.partition("=")[2]:
            print(f"--partner-alias needs NAME=PARTNER, not '{pair}'.", file=err)
            return EXIT_USAGE
    return None


def _load(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines import ingest, settings
    from pipelines.ingest import readers
    from pipelines.ingest.delimiters import DELIMITER_NAMES
    from pipelines.programme import bootstrap
    from pipelines.store import private

    path = Path(args.file)
    if args.dataset == "survey":
        bootstrap.ensure_instrument(store)
    delimiter = DELIMITER_NAMES.get(args.delimiter, args.delimiter)  # a name, or the character (_check_load)
    options = ingest.Options(sheet=args.sheet, wave=args.wave, partner=args.partner, date_order=args.date_order,
                             delimiter=delimiter, include_partial=args.include_partial,
                             accept_new_partners=args.accept_new_partners, schedule=args.schedule,
                             replaces_schedule=args.replaces_schedule)
    if args.mapping:
        options.mapping = _mapping_file(Path(args.mapping))
    for pair in args.partner_alias:
        name, _, partner = pair.partition("=")
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
        target = mapping_file(args)
        private.write(target, (json.dumps({f: s.column for f, s in preview.mapping.items()}, indent=2)
                               + "\n").encode())
        unsure = [f"{s.field} (best guess: {s.column or 'none'}, {s.confidence:.0%}: {s.reason})"
                  for s in (preview.mapping[name] for name in preview.unsure_fields())]
        for question in preview.questions:
            if question.startswith("This file looks like"):  # the wrong dataset was chosen
                print(f"Not loaded: {question}", file=err)
        print(f"Not loaded: these fields need a decision: {'; '.join(unsure)}. The inferred mapping is in "
              f"{target}; edit it and run again with --mapping {target}.", file=err)
        return EXIT_NEEDS_DECISION
    if preview.questions:
        how = (" Run again with --replaces-schedule, or with --schedule NAME."
               if preview.schedule_clash is not None else "")
        print("Not loaded: " + " ".join(preview.questions) + how, file=err)
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


def _mapping_file(path: Path) -> dict:
    """A --mapping file: a JSON object of field -> column, as --write-mapping writes it."""
    try:
        mapping = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as bad:
        raise ValueError(f"The mapping file {path} is not JSON ({bad}). Use a file that --write-mapping "
                         "wrote, or a JSON object of field names and columns.") from None
    if not isinstance(mapping, dict):
        raise ValueError(f"The mapping file {path} holds a JSON {type(mapping).__name__}, not an object of "
                         "field names and columns such as {\"partner\": \"Organisation\"}.")
    return mapping


def mapping_file(args) -> Path:
    """Where ``load`` writes an unsure mapping: --write-mapping, else FILE.mapping.json."""
    return Path(args.write_mapping or f"{args.file}.mapping.json")


def _print_failures(failures, name: str, err: TextIO, limit: int = 50) -> None:
    import pandas as pd

    for row in failures.head(limit).itertuples(index=False):
        text = None if pd.isna(row.value) else str(row.value)  # a blank cell has no text to quote
        shown = text if text is None or len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"
        value = "" if text is None else f" (value: {shown!r})"
        print(f"{name}: row {row.source_row}, column '{row.column}': {row.message}{value}", file=err)
    if len(failures) > limit:
        print(f"... and {len(failures) - limit} more problems.", file=err)


def _history(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines.store import versions

    frame = versions.history(store.cursor())
    if frame.empty:
        print("No batches loaded yet.", file=out)
        return EXIT_OK
    frame["loaded_at"] = frame["loaded_at"].dt.strftime("%Y-%m-%d %H:%M")
    # what each batch did and its file, in the Data page's load history's words (an edit has no file)
    words = versions.history_in_words(store.cursor())
    loads = words[words["event"] == str(versions.Event.LOAD)].set_index("batch")
    frame["file"], frame["what"] = frame["batch"].map(loads["file"]), frame["batch"].map(loads["what"])
    columns = ["batch", "dataset", "file", "loaded_at", "rows_in", "rows_accepted", "rows_rejected", "state", "what"]
    table = frame[columns].astype(str)  # every column left-aligned under its name: sentences read from the left
    text = table.to_string(index=False, justify="left", formatters={
        c: f"{{:<{max(len(c), table[c].str.len().max())}}}".format for c in columns})
    out.write("".join(line.rstrip() + "\n" for line in text.splitlines()))
    return EXIT_OK


def _undo(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines import ingest

    print(ingest.undo(store, args.batch), file=out)
    return EXIT_OK


def _rejected(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines import ingest

    frame = ingest.rejected_rows(store.cursor(), args.batch)
    out.write(safe_csv(frame))
    return EXIT_OK


def _demo(store: Store, args, out: TextIO, err: TextIO) -> int:
    from pipelines import ingest
    from pipelines.programme import bootstrap
    from pipelines.store import versions

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


CHECKS = {"load": _check_load}  # run before the store opens: a usage error answers at once
# verbs that run without the programme store, for these arguments (the survey template lists the
# programme's current questions, so it reads the store)
STORELESS = {"template": lambda args: args.dataset != "survey"}
HANDLERS = {"load": _load, "history": _history, "undo": _undo, "rejected": _rejected, "demo": _demo,
            "template": _template}
