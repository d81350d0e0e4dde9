"""Where the programme's data lives and how its history is kept.

``database`` owns the connection (a DuckDB file or a DuckLake store), ``schema`` the tables,
``lake`` what differs on a DuckLake, ``handoff`` the command line's way into a running app, ``versions`` the history
(batches, data versions, as-of) that every other module asks.
The names below are the stage's public API.
"""
from pipelines.store.database import Store, StoreBusy, db_path, is_lake, open_store
from pipelines.store.versions import visible

__all__ = ["Store", "StoreBusy", "db_path", "is_lake", "open_store", "visible"]
