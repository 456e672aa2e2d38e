"""The Kubernetes envelope: :class:`Resource` and :class:`ObjectMeta`, and the kind registry.

A :class:`Resource` wraps a typed ``spec`` (a :class:`~sidecar_model.Sidecar` for the
Sidecar kind) in the ``apiVersion``/``kind``/``metadata``/``status`` envelope. Kinds the
library does not model load as resources whose ``spec`` is the original mapping, kept
verbatim (frozen), so a whole cluster dump loads and writes back unchanged.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar

import attrs

from sidecar_model._collections import EMPTY, FrozenDict, freeze, frozen_map
from sidecar_model.model import WIRE_NAME, Destination, Sidecar, WorkloadSelector

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "CronJobSpec",
    "Delegate",
    "DestinationRuleSpec",
    "HTTPRoute",
    "JobTemplate",
    "KubernetesServicePort",
    "KubernetesServiceSpec",
    "L4Route",
    "MatchLabelsSelector",
    "MirrorPolicy",
    "NamespaceSpec",
    "ObjectMeta",
    "PodSpec",
    "PodTemplate",
    "Resource",
    "RouteDestination",
    "RouteMatch",
    "ServiceEntryPort",
    "ServiceEntrySpec",
    "SourceLocator",
    "Subset",
    "VirtualServiceSpec",
    "WorkloadControllerSpec",
    "WorkloadEntrySpec",
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


#: The API versions served for each known API group, and for the kinds of a group that
#: serve fewer (from the Kubernetes API and Istio's CustomResourceDefinitions). Groups not
#: listed are unknown: their objects load as opaque resources, whatever their version.
_GROUP_VERSIONS: Final[dict[str, tuple[str, ...]]] = {
    "": ("v1",),
    "apps": ("v1",),
    "batch": ("v1",),
    ISTIO_NETWORKING_GROUP: ISTIO_NETWORKING_VERSIONS,
}
_KIND_VERSIONS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    (ISTIO_NETWORKING_GROUP, "EnvoyFilter"): ("v1alpha3",),
    (ISTIO_NETWORKING_GROUP, "ProxyConfig"): ("v1beta1",),
}


def served_versions(api_version: str, kind: str) -> tuple[str, ...] | None:
    """The ``apiVersion`` values served for ``kind`` in the group ``api_version`` names.

    None when the group is unknown (anything goes). A bare group name such as
    ``networking.istio.io`` (with a dot, unlike a core version such as ``v1``) is read
    as that group without a version.
    """
    group, _, _version = api_version.rpartition("/")
    if not group and "." in api_version:
        group = api_version
    versions = _KIND_VERSIONS.get((group, kind), _GROUP_VERSIONS.get(group))
    if versions is None:
        return None
    return tuple(f"{group}/{v}" if group else v for v in versions)


def spec_type_for(api_version: str, kind: str) -> type[Any] | None:
    """The typed spec class of a kind, or None when the library keeps its spec verbatim."""
    group, _, _version = api_version.rpartition("/")
    return _SPEC_TYPES.get((group, kind))


register_kind(ISTIO_NETWORKING_GROUP, "Sidecar", Sidecar)


# --------------------------------------------------------------------------- inventory kinds
# The kinds resolution reads. Each spec class types the fields istiod's resolution uses and
# keeps every other wire field verbatim in ``extra`` (the codec's keep-the-rest convention),
# so a cluster dump loads strictly and writes back unchanged.

#: Kubernetes Service annotation holding its comma-separated exportTo list (§4.2.1).
EXPORT_TO_ANNOTATION: Final = "networking.istio.io/exportTo"


def _items() -> tuple[Any, ...]:
    # A list field; hidden behind a call so type checkers read the declared tuple type.
    return attrs.field(default=(), converter=tuple)


def str_map(value: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> FrozenDict[str, str]:
    """A label map as a ``FrozenDict`` (a typed converter for string maps)."""
    return frozen_map(value)


@attrs.frozen(kw_only=True)
class KubernetesServicePort:
    """One entry of a Kubernetes Service's ``spec.ports`` (``targetPort`` and the rest verbatim)."""

    name: str | None = None
    port: int | None = None
    protocol: str | None = None
    app_protocol: str | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class KubernetesServiceSpec:
    """The ``spec`` of a Kubernetes ``Service`` (core/v1), typed where resolution reads it."""

    ports: tuple[KubernetesServicePort, ...] = _items()
    cluster_ip: str | None = attrs.field(default=None, metadata={WIRE_NAME: "clusterIP"})
    type: str | None = None
    external_name: str | None = None
    selector: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=str_map)
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class ServiceEntryPort:
    """A port of a ``ServiceEntry``."""

    number: int | None = None
    protocol: str | None = None
    name: str | None = None
    target_port: int | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class WorkloadEntrySpec:
    """The ``spec`` of a ``WorkloadEntry``, also the type of a ServiceEntry's ``endpoints``."""

    address: str | None = None
    labels: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=str_map)
    ports: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class ServiceEntrySpec:
    """The ``spec`` of an Istio ``ServiceEntry``."""

    hosts: tuple[str, ...] = _items()
    addresses: tuple[str, ...] = _items()
    ports: tuple[ServiceEntryPort, ...] = _items()
    location: str | None = None
    resolution: str | None = None
    export_to: tuple[str, ...] = _items()
    workload_selector: WorkloadSelector | None = None
    endpoints: tuple[WorkloadEntrySpec, ...] = _items()
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class RouteDestination:
    """A weighted destination of an HTTP, TCP or TLS route (weight and headers verbatim)."""

    destination: Destination | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class RouteMatch:
    """A match block of a route; only ``sourceNamespace`` matters to resolution (§5.7)."""

    source_namespace: str | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class MirrorPolicy:
    """One entry of an HTTP route's ``mirrors``."""

    destination: Destination | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class Delegate:
    """The VirtualService an HTTP route delegates to (§4.3.5)."""

    name: str | None = None
    namespace: str | None = None


@attrs.frozen(kw_only=True)
class HTTPRoute:
    """An HTTP route of a VirtualService: its matches, destinations, mirrors and delegate."""

    match: tuple[RouteMatch, ...] = _items()
    route: tuple[RouteDestination, ...] = _items()
    mirror: Destination | None = None
    mirrors: tuple[MirrorPolicy, ...] = _items()
    delegate: Delegate | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class L4Route:
    """A TCP or TLS route of a VirtualService."""

    match: tuple[RouteMatch, ...] = _items()
    route: tuple[RouteDestination, ...] = _items()
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class VirtualServiceSpec:
    """The ``spec`` of an Istio ``VirtualService``."""

    hosts: tuple[str, ...] = _items()
    gateways: tuple[str, ...] = _items()
    export_to: tuple[str, ...] = _items()
    http: tuple[HTTPRoute, ...] = _items()
    tcp: tuple[L4Route, ...] = _items()
    tls: tuple[L4Route, ...] = _items()
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class Subset:
    """A named subset of a DestinationRule (its traffic policy verbatim)."""

    name: str | None = None
    labels: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=str_map)
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class MatchLabelsSelector:
    """``istio.type.v1beta1.WorkloadSelector``, the selector of a DestinationRule."""

    match_labels: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=str_map)


@attrs.frozen(kw_only=True)
class DestinationRuleSpec:
    """The ``spec`` of an Istio ``DestinationRule``; ``trafficPolicy`` is kept verbatim."""

    host: str | None = None
    export_to: tuple[str, ...] = _items()
    workload_selector: MatchLabelsSelector | None = None
    subsets: tuple[Subset, ...] = _items()
    traffic_policy: FrozenDict[str, Any] | None = attrs.field(default=None, converter=freeze)
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class PodSpec:
    """A Pod's ``spec``: nothing in it changes resolution, so all of it is kept verbatim."""

    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class PodTemplate:
    """A controller's pod template: the labels and annotations its pods get."""

    metadata: ObjectMeta = ObjectMeta()
    spec: PodSpec | None = None


@attrs.frozen(kw_only=True)
class WorkloadControllerSpec:
    """The ``spec`` of a Deployment, StatefulSet, DaemonSet, ReplicaSet or Job."""

    template: PodTemplate | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class JobTemplate:
    """A CronJob's ``jobTemplate``."""

    metadata: ObjectMeta = ObjectMeta()
    spec: WorkloadControllerSpec | None = None


@attrs.frozen(kw_only=True)
class CronJobSpec:
    """The ``spec`` of a CronJob."""

    job_template: JobTemplate | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


@attrs.frozen(kw_only=True)
class NamespaceSpec:
    """A Namespace's ``spec`` (finalizers), kept verbatim; its labels are on the metadata."""

    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)


#: Kinds whose pod template makes workloads, by API group.
WORKLOAD_CONTROLLER_KINDS: Final = {
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
}

register_kind("", "Service", KubernetesServiceSpec)
register_kind("", "Pod", PodSpec)
register_kind("", "Namespace", NamespaceSpec)
for _group, _kind in WORKLOAD_CONTROLLER_KINDS:
    register_kind(_group, _kind, WorkloadControllerSpec)
register_kind("batch", "CronJob", CronJobSpec)
register_kind(ISTIO_NETWORKING_GROUP, "ServiceEntry", ServiceEntrySpec)
register_kind(ISTIO_NETWORKING_GROUP, "VirtualService", VirtualServiceSpec)
register_kind(ISTIO_NETWORKING_GROUP, "DestinationRule", DestinationRuleSpec)
register_kind(ISTIO_NETWORKING_GROUP, "WorkloadEntry", WorkloadEntrySpec)
# A ConfigMap has no spec (its ``data`` is a top-level field, kept in Resource.extra), so it
# is not registered: the mesh reads the ``istio`` ConfigMap's ``data.mesh`` text itself.
