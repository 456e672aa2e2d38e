"""Wire names: how the attributes of the library's attrs classes are spelled in manifests."""

from __future__ import annotations

from typing import Any, Final

import attrs

from sidecar_model.model import WIRE_NAME

__all__ = ["ENVELOPE_KEYS", "KEEP_REST", "wire_names"]

#: The top-level fields of a typed Kubernetes object.
ENVELOPE_KEYS: Final = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


#: An attrs class with an attribute of this name types only some of its wire fields and
#: keeps every other one, verbatim and frozen, in that attribute (for kinds such as a
#: Kubernetes Service, whose spec resolution reads only in part).
KEEP_REST: Final = "extra"


def wire_names(cls: type[Any]) -> dict[str, str]:
    """Map each attribute of attrs class ``cls`` to its wire (JSON) name."""
    cached: dict[str, str] | None = _WIRE_NAMES.get(cls)
    if cached is None:
        cached = {a.name: a.metadata.get(WIRE_NAME, _camel(a.name)) for a in attrs.fields(cls)}
        _WIRE_NAMES[cls] = cached
    return cached


_WIRE_NAMES: dict[type[Any], dict[str, str]] = {}
