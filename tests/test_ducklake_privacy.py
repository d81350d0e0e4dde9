"""The suppression property tests of ``test_privacy`` run unchanged on a DuckLake store.

As in ``test_privacy``, every example gets a store of its own (``Copies``): here a catalog
copied from a lake built once from the session's migrated template (``conftest.postgres``)
with the same six partners and instrument.
"""
from __future__ import annotations

import os

import pytest
from conftest import LAKE_TEMPLATE
from test_privacy import (  # noqa: F401  (collected by pytest)
    Copies,
    test_k_minus_one_hidden_and_k_shown,
    test_no_hidden_group_can_be_derived_by_subtraction,
    with_partners_and_instrument,
)

from pipelines.store import Store


def lake(dsn: str) -> str:
    return f"ducklake:postgres:{dsn}"


@pytest.fixture(scope="module")
def stores(postgres, tmp_path_factory):
    name = f"privacy_{os.getpid()}"  # the lake built once; every example's catalog is a copy of it
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PARTNERSHIP_LAKE_DATA_PATH", postgres.data_path)
        env.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path_factory.mktemp("lake-privacy") / "salt"))
        with_partners_and_instrument(Store(lake(postgres.create_database(name, LAKE_TEMPLATE)))).close()

    def open_copy(number: int) -> Store:
        return Store(lake(postgres.create_database(f"{name}_{number}", name)))

    def drop(number: int) -> None:
        postgres.psql("postgres", f"DROP DATABASE {name}_{number}")
    copies = Copies(open_copy, drop)
    yield copies
    copies.close()
