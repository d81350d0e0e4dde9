"""Every export takes one road: read -> map -> reshape -> validate -> load.

``readers`` (bytes to a table of text), ``mapping`` and ``fields`` (columns to canonical
fields), ``values`` (text to dates, numbers, flags), ``partners`` (names to the programme's
partners), ``contracts`` (what valid data is), ``survey_answers`` and ``privacy`` (a survey's
answers, pseudonymised), ``preview`` (a file to a checked ``Preview``), ``loader`` (a preview
to one batch; undo). The names below are the stage's public API, imported on first use
(``pipelines.lazy``): the light ``fields`` must not bring pandas and Pandera with it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines import lazy

_OWNERS = {
    "template": "fields",
    "LoadResult": "loader", "Refused": "loader", "commit": "loader", "rejected_rows": "loader",
    "remove_demo": "loader", "undo": "loader",
    "known_partners": "partners",
    "REMEMBERED": "preview", "NotReady": "preview", "Options": "preview", "Preview": "preview",
    "prepare": "preview",
}
__all__ = sorted(_OWNERS)
__getattr__, __dir__ = lazy.exports(__name__, _OWNERS)

if TYPE_CHECKING:
    from pipelines.ingest.fields import template
    from pipelines.ingest.loader import LoadResult, Refused, commit, rejected_rows, remove_demo, undo
    from pipelines.ingest.partners import known_partners
    from pipelines.ingest.preview import REMEMBERED, NotReady, Options, Preview, prepare
