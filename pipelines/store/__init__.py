"""Where the programme's data lives and how its history is kept.

``database`` owns the connection (a DuckDB file or a DuckLake store), ``schema`` the tables,
``lake`` what differs on a DuckLake (``conninfo`` its connection strings), ``fingerprint`` which
salt wrote the store, ``handoff`` the command line's way into a running app, ``versions`` the history
(batches, data versions, as-of) that every other module asks.
The names below are the stage's public API, imported on first use (``pipelines.lazy``): the
light ``schema`` and ``versions`` must not bring DuckDB with them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines import lazy

_OWNERS = {
    "Store": "database", "StoreBusy": "database", "StoreMissing": "database", "StoreTooNew": "database",
    "db_path": "database", "is_lake": "database", "open_prepared": "database", "open_store": "database",
    "visible": "versions",
}
__all__ = sorted(_OWNERS)
__getattr__, __dir__ = lazy.exports(__name__, _OWNERS)

if TYPE_CHECKING:
    from pipelines.store.database import (
        Store, StoreBusy, StoreMissing, StoreTooNew, db_path, is_lake, open_prepared, open_store)
    from pipelines.store.versions import visible
