"""The cross-version privacy scenarios of ``test_privacy_versions`` run unchanged on a DuckLake store
(a fresh lake per test, copied from the session's migrated template, ``conftest.postgres``)."""
from __future__ import annotations

import pytest
from conftest import new_lake
from test_privacy_versions import (  # noqa: F401  (collected by pytest)
    test_a_change_is_checked_against_every_earlier_release_not_only_the_last,
    test_a_corrected_reload_of_an_undone_wave_shows_the_earlier_release_until_k_change,
    test_a_late_respondent_loaded_then_undone_is_never_shown,
    test_a_small_group_arriving_late_cannot_make_a_group_shown_before_its_complement,
    test_an_index_whose_n_would_move_by_fewer_than_k_keeps_its_release,
    test_the_small_group_stays_hidden_until_its_complement_changes_too,
)

from pipelines.store import Store


@pytest.fixture
def store(postgres, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_LAKE_DATA_PATH", postgres.data_path)
    store = Store(new_lake(postgres))
    yield store
    store.close()
