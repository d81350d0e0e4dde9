"""A package facade that imports its public names on first use.

A stage's ``__init__`` re-exports its public API; done with plain imports, importing any
submodule of the stage (``pipelines.ingest.fields``, ``pipelines.store.schema``) would import
the whole stage and its heavy libraries first. ``exports`` gives the package a module
``__getattr__`` and ``__dir__`` (PEP 562) that import a name's submodule when the name is
first asked for.
"""
from __future__ import annotations

import importlib
import sys
from typing import Callable


def exports(package: str, owners: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, whose public names live in the submodules
    ``owners`` names (public name -> submodule)."""
    def __getattr__(name: str):
        if name not in owners:  # also how ``from package import submodule`` finds submodules
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{owners[name]}"), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(owners))

    return __getattr__, __dir__
