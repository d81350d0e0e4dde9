"""What every verb shares: exit codes, and CSV that spreadsheets cannot turn into formulas."""
from __future__ import annotations

EXIT_OK, EXIT_INVALID, EXIT_NEEDS_DECISION, EXIT_BUSY, EXIT_USAGE = 0, 1, 2, 3, 64


def safe_csv(frame) -> str:
    from pipelines.present.exports import neutralise_formulas

    return neutralise_formulas(frame).to_csv(index=False)


def factor_numbers(items: list[str], option: str) -> dict[str, float]:
    """``FACTOR=NUMBER`` options (--delta, --weight) as {factor key: number}; the factor may
    be named by its key, label or words."""
    from pipelines.programme.factors import key as factor_key

    values = {}
    for item in items:
        name, _, number = item.partition("=")
        try:
            values[factor_key(name)] = float(number)
        except ValueError:
            raise ValueError(f"--{option} needs FACTOR=NUMBER, not '{item}'.") from None
    return values


def print_records(frame, fmt: str, out) -> None:
    """A view's records as CSV (safe for spreadsheets) or as JSON: a list of objects, null for missing."""
    if fmt == "json":
        import json

        out.write(json.dumps(json.loads(frame.to_json(orient="records")), indent=1) + "\n")
    else:
        out.write(safe_csv(frame))
