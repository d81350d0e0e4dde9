"""The datasets a programme loads, as people read their names: the Data page's picker and the
Overview's freshness table say the same words."""
from __future__ import annotations

DATASET_LABELS = {
    "survey": "Pulse survey responses",
    "instrument": "Survey instrument (questions)",
    "milestones": "Delivery milestones",
    "issues": "Issue / risk / dispute log",
    "partners": "Partners and their other names",
    "headcount": "Headcount (staff invited per survey wave)",
    "actions": "Agreed actions",  # recorded in the app, not uploaded: not in the Data page's picker
}
