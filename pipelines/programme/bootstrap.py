"""What a fresh database gets: the default instrument, and the demo programme when empty."""
from __future__ import annotations

from pipelines import ingest, settings
from pipelines.store import Store

DEFAULT_INSTRUMENT_NAME = "default-instrument.csv (built in)"


def ensure_instrument(store: Store) -> int | None:
    """Load the product's default instrument when the store has no instrument at all."""
    from pipelines.programme.instrument import default_instrument_csv

    has_items = store.cursor().execute("SELECT count(*) FROM instrument_items WHERE current").fetchone()[0]
    if has_items:
        return None
    preview = ingest.prepare(store, "instrument", DEFAULT_INSTRUMENT_NAME, default_instrument_csv())
    return ingest.commit(store, preview).batch_id


def load_demo(store: Store, progress=None) -> list[ingest.LoadResult]:
    """Load the demo programme through the same pipelines as any upload, labelled as demo; then
    record the actions its alliance agreed, as a person would."""
    from pipelines.programme import actions
    from pipelines.programme.demo import DEMO_ACTIONS, demo_files

    ensure_instrument(store)
    results = []
    files = demo_files()
    for number, demo_file in enumerate(files):
        if progress:
            progress(number / len(files), f"Loading {demo_file.name}")
        preview = ingest.prepare(store, demo_file.dataset, demo_file.name, demo_file.data)
        results.append(ingest.commit(store, preview, is_demo=True))
    for action in DEMO_ACTIONS:
        action_id, _version = actions.add(store, partner=action.partner, factor=action.factor, title=action.title,
                                          owner=action.owner, due=action.due, created=action.created, is_demo=True)
        if action.closed:
            actions.done(store, action_id, closed=action.closed, is_demo=True)
    return results


def ensure_ready(store: Store) -> None:
    """On start: an empty database gets the default instrument and (unless turned off) the demo."""
    if not store.is_empty():
        return
    if settings.get("demo") == "auto":
        load_demo(store)
    else:
        ensure_instrument(store)
