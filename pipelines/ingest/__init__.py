"""Every export takes one road: read -> map -> reshape -> validate -> load.

``readers`` (bytes to a table of text), ``mapping`` and ``fields`` (columns to canonical
fields), ``values`` (text to dates, numbers, flags), ``partners`` (names to the programme's
partners), ``contracts`` (what valid data is), ``survey_answers`` and ``privacy`` (a survey's
answers, pseudonymised), ``preview`` (a file to a checked ``Preview``), ``loader`` (a preview
to one batch; undo). The names below are the stage's public API.
"""
from pipelines.ingest.fields import template
from pipelines.ingest.loader import (
           LoadResult,
           Refused,
           commit,
           rejected_rows,
           remove_demo,
           undo,
)
from pipelines.ingest.partners import known_partners
from pipelines.ingest.preview import REMEMBERED, NotReady, Options, Preview, prepare

__all__ = ["LoadResult", "NotReady", "Options", "Preview", "REMEMBERED", "Refused", "commit",
           "known_partners", "prepare", "rejected_rows", "remove_demo", "template", "undo"]
