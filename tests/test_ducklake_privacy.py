"""The suppression property tests of ``test_privacy`` run unchanged on a DuckLake store.

As in ``test_privacy``, one store serves the whole module (every example reloads its
answers into it): here a lake copied from the session's migrated template
(``conftest.postgres``), with the same six partners and instrument.
"""
from __future__ import annotations

import pytest
from conftest import new_lake
from test_privacy import (  # noqa: F401  (collected by pytest)
    test_k_minus_one_hidden_and_k_shown,
    test_no_hidden_group_can_be_derived_by_subtraction,
    with_partners_and_instrument,
)

from pipelines.store import Store


@pytest.fixture(scope="module")
def store(postgres):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PARTNERSHIP_LAKE_DATA_PATH", postgres.data_path)
        store = with_partners_and_instrument(Store(new_lake(postgres)))
    yield store
    store.close()
