"""Hypothesis' entry point for sidecar-model, outside the package so that it is cheap.

Hypothesis imports the entry point's module while it is itself being imported. A module
inside ``sidecar_model`` would import the whole library (its ``__init__`` runs first), and
would do so in the middle of ``import sidecar_model.strategies``, which imports Hypothesis.
This module imports nothing: when the library is already loaded it lets the library register
its strategies with ``st.from_type``; otherwise ``import sidecar_model`` does it later.
"""

from __future__ import annotations

import sys

__all__: list[str] = []


def _hypothesis_setup_hook() -> None:
    """Register sidecar-model's strategies now if the library is loaded (see the docstring)."""
    library = sys.modules.get("sidecar_model._hypothesis")
    if library is not None:
        library.register_with_hypothesis()
