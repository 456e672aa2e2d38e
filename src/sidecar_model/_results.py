"""What every result object shares: prose in notebooks, and how resources are named.

Resolver and analysis results are frozen attrs classes with a prose ``__str__`` and a
JSON-ready ``to_dict()``; this base adds the ``_repr_html_`` that notebooks display.
"""

from __future__ import annotations

import gc
import html
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sidecar_model.resources import Resource

__all__ = ["Result", "gc_paused", "resource_name"]


class Result:
    """Shared presentation: ``_repr_html_`` shows the prose ``__str__`` in notebooks."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of this result."""
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(str(self))}</pre>"


def resource_name(resource: Resource[Any] | None) -> str | None:
    """``namespace/name`` of a resource, or None for no resource."""
    return None if resource is None else f"{resource.namespace}/{resource.name}"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector over bulk work.

    Loading and resolving allocate many small objects that all survive; the collector
    would rescan them again and again, making large inputs superlinear.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
