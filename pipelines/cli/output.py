"""What every verb shares: exit codes, and CSV that spreadsheets cannot turn into formulas."""
from __future__ import annotations

EXIT_OK, EXIT_INVALID, EXIT_NEEDS_DECISION, EXIT_BUSY, EXIT_USAGE = 0, 1, 2, 3, 64


def safe_csv(frame) -> str:
    from pipelines.present.exports import neutralise_formulas

    return neutralise_formulas(frame).to_csv(index=False)
