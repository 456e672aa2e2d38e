"""Loaded objects as ``kubectl apply`` would leave them in a cluster.

Manifests of a GitOps repository mostly leave ``metadata.namespace`` out, and the same
object often sits in several files (a kustomize base and its overlay, a dump next to an
edited copy). A cluster holds each object once, in a namespace: namespace-less objects
take the namespace ``kubectl apply -n`` would give them, and one object is kept per
(API group, kind, namespace, name), the last one read.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model.errors import SidecarModelWarning

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sidecar_model.resources import Resource

__all__ = [
    "CLUSTER_SCOPED_KINDS",
    "DEFAULT_NAMESPACE",
    "DuplicateObjectWarning",
    "as_applied",
    "where_read",
]

#: The namespace of namespace-less objects when none is given, as for ``kubectl apply``.
DEFAULT_NAMESPACE: Final = "default"

#: Kinds that live outside namespaces: they never take one.
CLUSTER_SCOPED_KINDS: Final = frozenset(
    {
        "APIService",
        "ClusterRole",
        "ClusterRoleBinding",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "GatewayClass",
        "IngressClass",
        "MeshConfig",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


class DuplicateObjectWarning(SidecarModelWarning):
    """Two different objects share API group, kind, namespace and name; the later is kept."""


def as_applied(
    resources: Iterable[Resource[Any]], *, namespace: str = DEFAULT_NAMESPACE
) -> list[Resource[Any]]:
    """``resources`` as a cluster would hold them after ``kubectl apply -n namespace``.

    A namespaced object without ``metadata.namespace`` is given ``namespace`` (a new
    object; the given one is left as it is). Objects with the same API group, kind,
    namespace and name are one object: identical copies are merged silently; when they
    differ the one read last is kept, in its own place, and a
    :class:`DuplicateObjectWarning` names where both were read.
    """
    kept: dict[tuple[str, str, str, str], Resource[Any]] = {}
    unnamed: list[tuple[int, Resource[Any]]] = []
    order: dict[tuple[str, str, str, str], int] = {}
    for position, resource in enumerate(resources):
        placed = _in_namespace(resource, namespace)
        if placed.name is None:
            unnamed.append((position, placed))
            continue
        key = (placed.api_group, placed.kind, placed.namespace or "", placed.name)
        earlier = kept.get(key)
        if earlier is not None and earlier == placed:
            continue  # an identical copy: the cluster holds one
        if earlier is not None:
            warnings.warn(DuplicateObjectWarning(_duplicate_message(earlier, placed)), stacklevel=2)
        kept[key] = placed
        order[key] = position
    ordered = [(order[key], resource) for key, resource in kept.items()]
    ordered.extend(unnamed)
    ordered.sort(key=lambda item: item[0])
    return [resource for _, resource in ordered]


def _in_namespace(resource: Resource[Any], namespace: str) -> Resource[Any]:
    if resource.namespace is not None or resource.kind in CLUSTER_SCOPED_KINDS:
        return resource
    return attrs.evolve(resource, metadata=attrs.evolve(resource.metadata, namespace=namespace))


def where_read(resource: Resource[Any]) -> str:
    """``file:line`` of an object's ``metadata.name`` (or its kind), as well as known."""
    source = resource.source
    name = None if source is None else source.name
    position = resource.locate("metadata.name") or resource.locate("kind")
    if name is None and position is None:
        return "an object given directly"
    where = name or "<string>"
    return f"{where}:{position[0]}" if position is not None else where


def _duplicate_message(earlier: Resource[Any], later: Resource[Any]) -> str:
    return (
        f"{later.kind} {later.namespace or '-'}/{later.name} is defined twice, differently: "
        f"in {where_read(earlier)} and in {where_read(later)}; the later one is used, as "
        "when both are applied in that order"
    )
