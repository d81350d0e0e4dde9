"""What every verb shares: exit codes, and CSV that spreadsheets cannot turn into formulas."""
from __future__ import annotations

import math
import re

EXIT_OK, EXIT_INVALID, EXIT_NEEDS_DECISION, EXIT_BUSY, EXIT_USAGE = 0, 1, 2, 3, 64

# control characters but tab and line ends: a name or title from a file must not move the cursor,
# clear the screen or recolour the terminal it is printed to
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


class PlainText:
    """A text stream that writes control characters as visible escapes (``\\x1b``)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(_CONTROL.sub(lambda c: f"\\x{ord(c.group()):02x}", text))

    def __getattr__(self, name):  # flush, isatty, getvalue ...
        return getattr(self._stream, name)


def safe_csv(frame) -> str:
    from pipelines.present.exports import neutralise_formulas

    return neutralise_formulas(frame).to_csv(index=False)


def factor_numbers(items: list[str], option: str) -> dict[str, float]:
    """``FACTOR=NUMBER`` options (--delta, --weight) as {factor key: number}; the factor may
    be named by its key, label or words."""
    from pipelines.programme.factors import FACTORS, key_or_none

    values = {}
    for item in items:
        name, _, number = item.partition("=")
        factor = key_or_none(name)
        if factor is None:
            raise ValueError(f"--{option} needs FACTOR=NUMBER, not '{item}': FACTOR is one of "
                             f"{', '.join(FACTORS)} (or its words, such as 'shared goals').")
        try:
            values[factor] = value = float(number)
        except ValueError:
            raise ValueError(f"--{option} needs FACTOR=NUMBER, not '{item}'.") from None
        if not math.isfinite(value):
            raise ValueError(f"--{option} needs a finite number, not '{item}'.")
    return values


def print_records(frame, fmt: str, out) -> None:
    """A view's records as CSV (safe for spreadsheets) or as JSON: a list of objects, null for missing."""
    if fmt == "json":
        import json

        out.write(json.dumps(json.loads(frame.to_json(orient="records")), indent=1) + "\n")
    else:
        out.write(safe_csv(frame))
