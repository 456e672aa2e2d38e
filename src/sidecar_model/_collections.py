"""An immutable, hashable mapping used wherever the model holds a map.

Kubernetes objects carry maps (labels, annotations, opaque specs). The model is
frozen and hashable, so those maps must be too. ``FrozenDict`` subclasses
``dict`` so that it costs no more memory than the plain dict it replaces and is
accepted anywhere a mapping is read, while every mutating method raises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["FrozenDict", "freeze", "thaw"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(dict[K, V]):
    """A ``dict`` that cannot be changed after it is made, and so can be hashed."""

    __slots__ = ()

    def _immutable(self, *_args: object, **_kwargs: object) -> NoReturn:
        msg = f"{type(self).__name__} is immutable; build a new one instead"
        raise TypeError(msg)

    __setitem__ = __delitem__ = _immutable
    clear = pop = popitem = setdefault = update = _immutable
    __ior__ = _immutable

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"

    def __copy__(self) -> FrozenDict[K, V]:
        return self

    def __deepcopy__(self, _memo: object) -> FrozenDict[K, V]:
        return self

    def __reduce__(self) -> tuple[type[FrozenDict[K, V]], tuple[dict[K, V]]]:
        return (type(self), (dict(self),))


EMPTY: FrozenDict[Any, Any] = FrozenDict()


def frozen_map(
    value: Mapping[K, V] | Iterable[tuple[K, V]] = (),
) -> FrozenDict[K, V]:
    """Return ``value`` as a ``FrozenDict`` (an attrs converter for map fields)."""
    if type(value) is FrozenDict:
        return value
    if not value:  # most maps of a large mesh are empty: they all share one
        return EMPTY
    return FrozenDict(value)


def freeze(value: Any) -> Any:  # noqa: ANN401 - verbatim data is untyped by nature
    """Turn JSON-like data into its immutable twin: dicts to ``FrozenDict``, lists to tuples."""
    kind = type(value)
    if kind is dict or kind is FrozenDict:
        if not value:  # most maps of a large mesh are empty: they all share one
            return EMPTY
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if kind is list or kind is tuple:
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:  # noqa: ANN401 - verbatim data is untyped by nature
    """Undo :func:`freeze`: ``FrozenDict`` to dict and tuples to lists, for writing out."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value
