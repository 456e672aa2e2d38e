"""Registering :mod:`sidecar_model.strategies` with Hypothesis' ``st.from_type``.

Registration waits until both Hypothesis and the library are imported, whichever comes second:

* Hypothesis first (as under pytest): its entry point (the top-level module
  ``_sidecar_model_hypothesis``, which imports nothing) finds the library not loaded and does
  nothing; ``import sidecar_model`` then calls :func:`register_if_hypothesis_is_loaded`.
* The library first: Hypothesis' entry point calls :func:`register_with_hypothesis` at once.

What is registered is a function per class that imports :mod:`sidecar_model.strategies` when
``from_type`` first asks for the class, so that nothing is built, and no strategy module is
imported, while either side is still half imported. Nothing here imports Hypothesis unless it
has been imported already, so ``import sidecar_model`` never imports it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from sidecar_model import model
from sidecar_model.resources import ObjectMeta, Resource

if TYPE_CHECKING:
    from hypothesis import strategies as st

__all__: list[str] = []

#: The classes ``st.from_type`` draws from :mod:`sidecar_model.strategies`.
_REGISTERED: tuple[type[Any], ...] = (
    model.Sidecar,
    model.IstioIngressListener,
    model.IstioEgressListener,
    model.ServerTLSSettings,
    model.ConnectionPoolSettings,
    model.OutboundTrafficPolicy,
    model.Duration,
    model.Port,
    model.WorkloadSelector,
    ObjectMeta,
    Resource,
)


def register_if_hypothesis_is_loaded() -> None:
    """Register the strategies if Hypothesis is already imported; ``sidecar_model`` calls it."""
    if "hypothesis.strategies" in sys.modules:
        register_with_hypothesis()


def register_with_hypothesis() -> None:
    """Register a deferred strategy for every class in :data:`_REGISTERED`."""
    from hypothesis import strategies as st  # noqa: PLC0415 - only once Hypothesis is loaded

    for cls in _REGISTERED:
        st.register_type_strategy(cls, _deferred)


# Installs made before the entry point moved to ``_sidecar_model_hypothesis`` still name this.
_hypothesis_setup_hook = register_with_hypothesis


def _deferred(thing: type[Any]) -> st.SearchStrategy[Any]:
    """The strategy for ``thing``, from :mod:`sidecar_model.strategies`, imported on first use."""
    from sidecar_model.strategies._from_type import strategy_for  # noqa: PLC0415 - see above

    return strategy_for(thing)
