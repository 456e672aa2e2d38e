"""What every result object shares: prose in notebooks, and how resources are named.

Resolver and analysis results are frozen attrs classes with a prose ``__str__`` and a
JSON-ready ``to_dict()``; this base adds the ``_repr_html_`` that notebooks display.
"""

from __future__ import annotations

import gc
import html
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from sidecar_model._rule_links import html_footer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sidecar_model.resources import Resource

__all__ = ["Result", "gc_paused", "resource_name"]


class Result:
    """Shared presentation: ``_repr_html_`` shows the prose ``__str__`` in notebooks.

    Below it come links to the docs' explanation of every rule the prose cites.
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of this result."""
        raise NotImplementedError

    def _repr_html_(self) -> str:
        text = str(self)
        return f"<pre>{html.escape(text)}</pre>{html_footer(text)}"


def resource_name(resource: Resource[Any] | None) -> str | None:
    """``namespace/name`` of a resource, or None for no resource."""
    return None if resource is None else f"{resource.namespace}/{resource.name}"


class _CollectorPause:
    """Counts the callers that want the cyclic collector paused, across threads.

    The first to enter remembers whether the collector was on and turns it off; the
    last to leave turns it back on if it was. The lock makes the check and the change
    one step, so that threads cannot leave the collector off for good.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holders = 0
        self.was_enabled = False

    def enter(self) -> None:
        with self.lock:
            if self.holders == 0:
                self.was_enabled = gc.isenabled()
                gc.disable()
            self.holders += 1

    def leave(self) -> None:
        with self.lock:
            self.holders -= 1
            if self.holders == 0 and self.was_enabled:
                gc.enable()


_PAUSE: Final = _CollectorPause()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector over bulk work; thread-safe and re-entrant.

    Loading and resolving allocate many small objects that all survive; the collector
    would rescan them again and again, making large inputs superlinear. Pauses nest and
    overlap across threads: the collector runs again when the last of them ends.
    """
    _PAUSE.enter()
    try:
        yield
    finally:
        _PAUSE.leave()
