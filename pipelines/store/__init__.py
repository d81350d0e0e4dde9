"""Where the programme's data lives and how its history is kept.

``database`` owns the connection (a DuckDB file or a DuckLake store), ``schema`` the tables,
``lake`` what differs on a DuckLake (``conninfo`` its connection strings), ``fingerprint`` which
salt wrote the store, ``handoff`` the command line's way into a running app, ``versions`` the history
(batches, data versions, as-of) that every other module asks.
The names below are the stage's public API.
"""
from pipelines.store.database import (
    Store,
    StoreBusy,
    StoreMissing,
    StoreTooNew,
    db_path,
    is_lake,
    open_prepared,
    open_store,
)
from pipelines.store.versions import visible

__all__ = ["Store", "StoreBusy", "StoreMissing", "StoreTooNew", "db_path", "is_lake", "open_prepared",
           "open_store", "visible"]
