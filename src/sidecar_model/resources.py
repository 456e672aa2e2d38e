"""The Kubernetes envelope: :class:`Resource` and :class:`ObjectMeta`, and the kind registry.

A :class:`Resource` wraps a typed ``spec`` (a :class:`~sidecar_model.Sidecar` for the
Sidecar kind) in the ``apiVersion``/``kind``/``metadata``/``status`` envelope. Kinds the
library does not model load as resources whose ``spec`` is the original mapping, kept
verbatim (frozen), so a whole cluster dump loads and writes back unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final, Generic, Protocol, TypeVar

import attrs

from sidecar_model._collections import EMPTY, FrozenDict, freeze, frozen_map
from sidecar_model.model import Sidecar

__all__ = [
    "ISTIO_NETWORKING_GROUP",
    "ObjectMeta",
    "Resource",
    "SourceLocator",
    "register_kind",
    "spec_type_for",
]

SpecT = TypeVar("SpecT")

ISTIO_NETWORKING_GROUP: Final = "networking.istio.io"
#: The served versions of Istio's networking kinds; all three share one schema (§1.1.2).
ISTIO_NETWORKING_VERSIONS: Final = ("v1", "v1beta1", "v1alpha3")


class SourceLocator(Protocol):
    """Where a resource was loaded from; the codec attaches one to every loaded resource."""

    @property
    def name(self) -> str | None:
        """The file name, or None for text given directly."""

    def locate(self, path: str) -> tuple[int, int] | None:
        """The 1-based (line, column) of a wire path such as ``spec.egress[0].hosts[1]``."""


@attrs.frozen(kw_only=True)
class ObjectMeta:
    """Standard Kubernetes object metadata.

    The fields that matter to Istio's semantics are typed; every other metadata
    field (``uid``, ``resourceVersion``, ``managedFields``, ``ownerReferences``, ...)
    is kept verbatim in ``extra`` so that it is written back unchanged.
    """

    name: str | None = None
    namespace: str | None = None
    labels: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=frozen_map)
    annotations: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=frozen_map)
    creation_timestamp: dt.datetime | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class Resource(Generic[SpecT]):
    """One Kubernetes object: envelope plus ``spec``.

    ``status`` and any top-level field other than the envelope and ``spec`` (for
    example a ConfigMap's ``data``) are kept verbatim. ``source`` records where the
    object was loaded from; it does not take part in equality.
    """

    api_version: str
    kind: str
    metadata: ObjectMeta = ObjectMeta()
    spec: SpecT
    status: FrozenDict[str, Any] | None = attrs.field(default=None, converter=freeze)
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)
    source: SourceLocator | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def name(self) -> str | None:
        """``metadata.name``."""
        return self.metadata.name

    @property
    def namespace(self) -> str | None:
        """``metadata.namespace``."""
        return self.metadata.namespace

    @property
    def api_group(self) -> str:
        """The API group of ``api_version`` (empty for the core group, as in ``v1``)."""
        group, _, _version = self.api_version.rpartition("/")
        return group

    def locate(self, path: str) -> tuple[int, int] | None:
        """The 1-based (line, column) of ``path`` (``spec.egress[0].hosts[1]``) in the source text.

        Returns None for objects that were not loaded from text, or when the
        path is not in the text (an unset field).
        """
        if self.source is None:
            return None
        return self.source.locate(path)


_SPEC_TYPES: dict[tuple[str, str], type[Any]] = {}


def register_kind(group: str, kind: str, spec_type: type[Any]) -> None:
    """Make resources of ``group``/``kind`` load with a typed ``spec_type`` spec."""
    _SPEC_TYPES[group, kind] = spec_type


def spec_type_for(api_version: str, kind: str) -> type[Any] | None:
    """The typed spec class of a kind, or None when the library keeps its spec verbatim."""
    group, _, _version = api_version.rpartition("/")
    return _SPEC_TYPES.get((group, kind))


register_kind(ISTIO_NETWORKING_GROUP, "Sidecar", Sidecar)
