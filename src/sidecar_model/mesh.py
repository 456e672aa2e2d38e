"""The mesh inventory: services, routing rules, Sidecars and workloads as istiod sees them.

:class:`Mesh` normalises loaded resources into the values resolution reads: one
:class:`MeshService` per Kubernetes Service and per ServiceEntry host (and address), the
VirtualServices and DestinationRules with their hosts expanded (§4.3.4), the Sidecars in
istiod's order (§3.2), the :class:`Workload` values, and the :class:`MeshConfig`. It also
builds, once, the indexes that make :mod:`sidecar_model.resolver` fast; a mesh is never
changed after it is built.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import ipaddress
import itertools
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model._collections import EMPTY, FrozenDict, freeze, thaw
from sidecar_model._delegates import merge_delegate_routes
from sidecar_model._export_annotation import annotation_export_set
from sidecar_model._gateways import proxy_type
from sidecar_model._kube_protocol import kubernetes_port_protocol
from sidecar_model._pod_specs import pod_spec_of, pod_template_of
from sidecar_model._pod_status import pod_status
from sidecar_model._results import gc_paused
from sidecar_model._target_ports import target_port_name, with_named_target_ports
from sidecar_model.errors import ManifestError, Problem
from sidecar_model.model import WIRE_NAME, Protocol, Sidecar
from sidecar_model.resources import (
    WORKLOAD_CONTROLLER_KINDS,
    CronJobSpec,
    DestinationRuleSpec,
    HTTPRoute,
    KubernetesServiceSpec,
    ObjectMeta,
    Resource,
    ServiceEntrySpec,
    VirtualServiceSpec,
    WorkloadControllerSpec,
    WorkloadEntrySpec,
    str_map,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from os import PathLike

__all__ = [
    "DestinationRuleInfo",
    "HostIndex",
    "IPFamily",
    "LabelSelector",
    "LabelSelectorRequirement",
    "Mesh",
    "MeshConfig",
    "MeshInboundTrafficPolicy",
    "MeshOutboundMode",
    "MeshOutboundTrafficPolicy",
    "MeshService",
    "ProxyType",
    "Registry",
    "ServiceAlias",
    "ServiceEntryVisibility",
    "ServicePort",
    "VirtualServiceInfo",
    "VisibilityMatchRule",
    "VisibilityPolicy",
    "Workload",
    "dot_suffixes",
    "is_ip",
    "resolve_short_name",
]

_EPOCH: Final = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
WILDCARD_ADDRESS: Final = "0.0.0.0"  # noqa: S104 - an address istiod writes, never bound here
MESH_GATEWAY: Final = "mesh"


# --------------------------------------------------------------------------- converters
# Typed (non-generic) converters, so that type checkers accept lists, sets and dicts here.


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _optional_set(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


def _namespace_labels(
    value: Mapping[str, FrozenDict[str, str]],
) -> FrozenDict[str, FrozenDict[str, str]]:
    return FrozenDict(value)


def _optional_map(value: Mapping[str, str] | None) -> FrozenDict[str, str] | None:
    return None if value is None else str_map(value)


# --------------------------------------------------------------------------- MeshConfig


class MeshOutboundMode(enum.Enum):
    """MeshConfig ``outboundTrafficPolicy.mode`` (a Sidecar cannot select the last one, V38)."""

    REGISTRY_ONLY = "REGISTRY_ONLY"
    ALLOW_ANY = "ALLOW_ANY"
    ALLOW_ANY_DYNAMIC_DNS = "ALLOW_ANY_DYNAMIC_DNS"


@attrs.frozen(kw_only=True)
class MeshOutboundTrafficPolicy:
    """MeshConfig ``outboundTrafficPolicy``."""

    mode: MeshOutboundMode | None = None


@attrs.frozen(kw_only=True)
class MeshInboundTrafficPolicy:
    """MeshConfig ``inboundTrafficPolicy`` (``PASSTHROUGH`` or ``LOCALHOST``, §6.2)."""

    mode: str | None = None


def _flag(env: str) -> Any:  # noqa: ANN401 - an attrs field specifier
    return attrs.field(default=True, metadata={WIRE_NAME: env})


@attrs.frozen(kw_only=True)
class LabelSelectorRequirement:
    """One ``matchExpressions`` entry: ``key``, ``operator`` (In, NotIn, Exists, DoesNotExist)."""

    key: str = ""
    operator: str = ""
    values: tuple[str, ...] = attrs.field(default=(), converter=_strings)

    def matches(self, labels: Mapping[str, str]) -> bool | None:
        """Whether ``labels`` satisfy it; None for an operator Kubernetes does not know."""
        if self.operator == "In":
            return labels.get(self.key) in self.values
        if self.operator == "NotIn":
            return labels.get(self.key) not in self.values
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        return None


@attrs.frozen(kw_only=True)
class LabelSelector:
    """A Kubernetes label selector (``matchLabels`` and ``matchExpressions``, ANDed)."""

    match_labels: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=str_map)
    match_expressions: tuple[LabelSelectorRequirement, ...] = attrs.field(
        default=(), converter=tuple
    )

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy every requirement; a malformed selector matches nothing."""
        if not self.match_labels.items() <= labels.items():
            return False
        return all(r.matches(labels) is True for r in self.match_expressions)


@attrs.frozen(kw_only=True)
class VisibilityMatchRule:
    """``ServiceEntryVisibility.MatchRule``: the ServiceEntry's namespace matches a selector."""

    namespace_selector: LabelSelector | None = None


@attrs.frozen(kw_only=True)
class VisibilityPolicy:
    """``ServiceEntryVisibility.Policy``: a visibility for entries matching all its rules."""

    visibility: str = "VISIBILITY_UNSPECIFIED"
    matching_rules: tuple[VisibilityMatchRule, ...] = attrs.field(default=(), converter=tuple)

    def matches(self, namespace_labels: Mapping[str, str]) -> bool:
        """All rules match (an empty list matches everything); a rule without matcher fails."""
        return all(
            r.namespace_selector is not None and r.namespace_selector.matches(namespace_labels)
            for r in self.matching_rules
        )


@attrs.frozen(kw_only=True)
class ServiceEntryVisibility:
    """MeshConfig ``serviceEntryVisibility`` (Istio 1.31): caps ServiceEntry visibility (§4.2.2).

    Sidecars honour it only with ``applyToSidecars``; the first policy whose rules all match
    the ServiceEntry's namespace labels decides, else ``defaultVisibility``. Visibilities are
    ``NONE``, ``NAMESPACE`` and ``PUBLIC`` (``VISIBILITY_UNSPECIFIED`` means ``PUBLIC``).
    """

    default_visibility: str = "VISIBILITY_UNSPECIFIED"
    apply_to_sidecars: bool = False
    policies: tuple[VisibilityPolicy, ...] = attrs.field(default=(), converter=tuple)

    def visibility_for(self, namespace_labels: Mapping[str, str]) -> str:
        """``PUBLIC``, ``NAMESPACE`` or ``NONE`` for an entry in a namespace with these labels."""
        chosen = next(
            (p.visibility for p in self.policies if p.matches(namespace_labels)),
            self.default_visibility,
        )
        return chosen if chosen in {"NONE", "NAMESPACE"} else "PUBLIC"


@attrs.frozen(kw_only=True)
class MeshConfig:
    """The mesh-wide settings and istiod flags that change resolution (semantics §10).

    It structures from Istio's MeshConfig YAML (``rootNamespace``,
    ``defaultServiceExportTo``, ``outboundTrafficPolicy: {mode: ALLOW_ANY}``, ...);
    fields it does not type are kept verbatim in ``extra``. The istiod flags are not
    MeshConfig fields: their wire names are the environment variables that set them
    (``PILOT_UNIFIED_SIDECAR_SCOPE: false``), and ``clusterDomain`` stands for the
    cluster's DNS domain.
    """

    root_namespace: str = "istio-system"
    default_service_export_to: tuple[str, ...] = attrs.field(default=("*",), converter=_strings)
    default_virtual_service_export_to: tuple[str, ...] = attrs.field(
        default=("*",), converter=_strings
    )
    default_destination_rule_export_to: tuple[str, ...] = attrs.field(
        default=("*",), converter=_strings
    )
    outbound_traffic_policy: MeshOutboundTrafficPolicy | None = MeshOutboundTrafficPolicy(
        mode=MeshOutboundMode.ALLOW_ANY
    )
    inbound_traffic_policy: MeshInboundTrafficPolicy | None = None
    default_traffic_policy: FrozenDict[str, Any] | None = attrs.field(
        default=None, converter=freeze
    )
    proxy_listen_port: int | None = None
    proxy_inbound_listen_port: int | None = None
    cluster_domain: str = "cluster.local"
    unified_sidecar_scope: bool = _flag("PILOT_UNIFIED_SIDECAR_SCOPE")
    pick_best_service_namespace: bool = _flag("PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE")
    enhanced_destination_rule_merge: bool = _flag("ENABLE_ENHANCED_DESTINATIONRULE_MERGE")
    allow_sidecar_service_inbound_listener_merge: bool = attrs.field(
        default=False, metadata={WIRE_NAME: "PILOT_ALLOW_SIDECAR_SERVICE_INBOUND_LISTENER_MERGE"}
    )
    headless_filter_chain_listener: bool = attrs.field(
        default=False, metadata={WIRE_NAME: "PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER"}
    )
    service_entry_visibility: ServiceEntryVisibility | None = None
    extra: FrozenDict[str, Any] = attrs.field(default=EMPTY, converter=freeze)

    @classmethod
    def from_yaml(cls, text: str, *, source: str | None = None) -> MeshConfig:
        """Parse MeshConfig YAML, such as the ``mesh`` key of the ``istio`` ConfigMap.

        Raises :class:`~sidecar_model.ManifestError` when the text is not YAML or does not
        fit MeshConfig.
        """
        from sidecar_model.codec import read_yaml, structure  # noqa: PLC0415 - codec imports us

        documents = read_yaml(text, source=source)
        return structure(documents[0] if documents and documents[0] is not None else {}, cls)

    @property
    def outbound_mode(self) -> MeshOutboundMode | None:
        """The mesh's outbound mode, or None when the mesh configures none (T1)."""
        policy = self.outbound_traffic_policy
        return None if policy is None else (policy.mode or MeshOutboundMode.REGISTRY_ONLY)


# --------------------------------------------------------------------------- services


class Registry(enum.Enum):
    """Where a service comes from."""

    KUBERNETES = "Kubernetes"
    EXTERNAL = "External"


class IPFamily(enum.Enum):
    """The address families a proxy serves (istiod's ``IPMode``): its wildcard and loopback.

    IPv4 proxies listen on ``0.0.0.0`` and ``127.0.0.1``; IPv6-only ones on ``::`` and
    ``::1``; dual-stack ones on the IPv4 addresses first, with the IPv6 ones as additional
    addresses (L2, L4).
    """

    IPV4 = "IPv4"
    IPV6 = "IPv6"
    DUAL = "Dual"

    @property
    def wildcard(self) -> str:
        """The primary wildcard address: ``0.0.0.0``, or ``::`` for IPv6-only."""
        return "::" if self is IPFamily.IPV6 else WILDCARD_ADDRESS

    @property
    def loopback(self) -> str:
        """The primary loopback address: ``127.0.0.1``, or ``::1`` for IPv6-only."""
        return "::1" if self is IPFamily.IPV6 else "127.0.0.1"

    @classmethod
    def of(cls, addresses: Iterable[str]) -> IPFamily:
        """The family of a proxy with these addresses (IPv4 when none is known)."""
        versions = {_ip_version(text) for text in addresses} - {None}
        if versions == {6}:
            return cls.IPV6
        return cls.DUAL if versions == {4, 6} else cls.IPV4


class ProxyType(enum.Enum):
    """What kind of proxy serves a workload; only sidecars consult Sidecar resources (§3.6)."""

    SIDECAR = "sidecar"
    ROUTER = "router"
    WAYPOINT = "waypoint"


@attrs.frozen(kw_only=True)
class ServicePort:
    """A port of a service: its name, (service) number and protocol."""

    name: str = ""
    number: int
    protocol: Protocol = Protocol.UNSUPPORTED
    #: The workload port traffic is delivered to, when it differs from ``number`` (§6.2).
    target_port: int | None = None
    #: The container port name a Kubernetes ``targetPort`` refers to, if it names one (§4.2.6).
    target_port_name: str | None = None

    def __str__(self) -> str:
        """``9080/HTTP (http)``."""
        label = f" ({self.name})" if self.name else ""
        return f"{self.number}/{self.protocol.value}{label}"


def _ports(value: Iterable[ServicePort]) -> tuple[ServicePort, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class ServiceAlias:
    """A name that is an alias of a service: a Kubernetes ExternalName Service pointing at it."""

    hostname: str
    namespace: str

    def __str__(self) -> str:
        """``alias.shop.svc.cluster.local (shop)``."""
        return f"{self.hostname} ({self.namespace})"


def _aliases(value: Iterable[ServiceAlias]) -> tuple[ServiceAlias, ...]:
    return tuple(value)


#: The ``resolution`` of a Kubernetes ExternalName Service: an alias, never a service of its own.
ALIAS_RESOLUTION: Final = "ALIAS"


@attrs.frozen(kw_only=True, cache_hash=True)
class MeshService:
    """One registry service as istiod models it (semantics §0.4).

    ``export_to`` is the declared set, or None when unset (the mesh default applies);
    ``resolution`` uses ServiceEntry's names (``STATIC`` for a Kubernetes ClusterIP
    service, ``NONE`` for a headless one) plus ``ALIAS`` for a Kubernetes ExternalName
    Service, whose ``alias_for`` is its ``externalName``. ``address`` is the VIP, or
    ``0.0.0.0`` when there is none. ``aliases`` are the ExternalName Services that
    (directly or through other ExternalNames) point at this service's hostname, as istiod
    resolves them (``resolveServiceAliases``); :class:`Mesh` fills them in.
    ``endpoints`` are the addresses of its instances (a ServiceEntry's ``endpoints``,
    and for services with a selector the pods and WorkloadEntries it selects).
    """

    hostname: str
    namespace: str
    name: str = ""
    ports: tuple[ServicePort, ...] = attrs.field(default=(), converter=_ports)
    export_to: frozenset[str] | None = attrs.field(default=None, converter=_optional_set)
    registry: Registry = Registry.KUBERNETES
    resolution: str = "STATIC"
    creation_timestamp: dt.datetime | None = None
    address: str = WILDCARD_ADDRESS
    labels: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=str_map)
    selector: FrozenDict[str, str] | None = attrs.field(default=None, converter=_optional_map)
    endpoints: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    alias_for: str | None = None
    aliases: tuple[ServiceAlias, ...] = attrs.field(default=(), converter=_aliases)
    source: Resource[Any] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def is_alias(self) -> bool:
        """True for a Kubernetes ExternalName Service: an alias, with no listener or cluster."""
        return self.resolution == ALIAS_RESOLUTION

    @property
    def is_wildcard(self) -> bool:
        """True for a wildcard hostname such as ``*.example.com`` (§5.1.1)."""
        return self.hostname.startswith("*")

    def port(self, number: int) -> ServicePort | None:
        """The port with this service port number, if any."""
        return next((p for p in self.ports if p.number == number), None)

    def __str__(self) -> str:
        """``reviews.prod.svc.cluster.local (prod, Kubernetes, ports 9080/HTTP (http))``."""
        ports = ", ".join(map(str, self.ports)) or "none"
        return f"{self.hostname} ({self.namespace}, {self.registry.value}, ports {ports})"


@attrs.frozen(kw_only=True)
class Workload:
    """A proxied workload: where it runs and the labels its proxy reports.

    ``interception_mode`` is ``REDIRECT``/``TPROXY`` (iptables capture) or ``NONE``;
    ``unprivileged`` proxies cannot bind ports below 1024 (L3); ``ip_family`` decides the
    wildcard and loopback addresses of its outbound listeners (L2, L4): Pods and
    WorkloadEntries take it from their addresses, IPv4 when unknown.
    """

    namespace: str
    labels: FrozenDict[str, str] = attrs.field(default=EMPTY, converter=str_map)
    name: str = ""
    proxy_type: ProxyType = ProxyType.SIDECAR
    interception_mode: str = "REDIRECT"
    unprivileged: bool = False
    ip: str | None = None
    ip_family: IPFamily = IPFamily.IPV4
    source: Resource[Any] | None = attrs.field(default=None, eq=False, repr=False)

    def __str__(self) -> str:
        """``prod/reviews-v1``."""
        return f"{self.namespace}/{self.name or '<unnamed>'}"


# --------------------------------------------------------------------------- routing rules


@attrs.frozen(kw_only=True)
class VirtualServiceInfo:
    """A VirtualService with what resolution reads, hosts expanded (§4.3.1, §4.3.4, §4.3.5).

    ``export_to`` has ``.`` rewritten to the own namespace. ``http_destinations`` holds one
    entry per HTTP route: the ``sourceNamespace`` values of its matches (empty when none
    restrict it) and its destination (host, port) pairs, port 0 meaning "not given" (§5.7).
    """

    resource: Resource[VirtualServiceSpec] = attrs.field(eq=False, repr=False)
    name: str
    namespace: str
    hosts: tuple[str, ...]
    gateways: tuple[str, ...]
    export_to: frozenset[str]
    creation_timestamp: dt.datetime | None
    http_destinations: tuple[tuple[frozenset[str], tuple[tuple[str, int], ...]], ...]
    l4_destinations: tuple[tuple[str, int], ...]

    @property
    def is_delegate(self) -> bool:
        """True for a delegate VirtualService (no hosts), never selected directly (§4.3.5)."""
        return not self.hosts

    def destinations_for(self, namespace: str) -> Iterator[tuple[str, int]]:
        """Destination (host, port) pairs seen by proxies in ``namespace`` (§5.7 step 1)."""
        for sources, pairs in self.http_destinations:
            # 8.33: a route naming source namespaces, none of them this one, is ignored.
            if not sources or namespace in sources:
                yield from pairs
        yield from self.l4_destinations


@attrs.frozen(kw_only=True)
class DestinationRuleInfo:
    """A DestinationRule with its host expanded and its export set as istiod keeps it (§4.4.2)."""

    resource: Resource[DestinationRuleSpec] = attrs.field(eq=False, repr=False)
    name: str
    namespace: str
    host: str
    export_to: frozenset[str]
    selector: FrozenDict[str, str] | None
    subsets: tuple[str, ...]
    traffic_policy: FrozenDict[str, Any] | None
    creation_timestamp: dt.datetime | None


def _capped_export(export: frozenset[str], namespace: str, visibility: str) -> frozenset[str]:
    # 4.2.2: serviceEntryVisibility only narrows: NAMESPACE clamps to '.', NONE hides.
    if visibility == "NAMESPACE":
        return _PRIVATE if export & {"*", ".", namespace} else _NONE
    if visibility == "NONE":
        return _NONE
    return export


_PRIVATE: Final = frozenset({"."})
_NONE: Final = frozenset({"~"})


def resolve_short_name(name: str, namespace: str, domain: str) -> str:
    """Expand a short host as istiod does (§4.3.4): ``reviews`` → ``reviews.<ns>.svc.<domain>``.

    Names containing a dot, ``*`` and IP addresses are returned unchanged.
    """
    if "." in name or name == "*" or not name or is_ip(name):
        return name
    return f"{name}.{namespace}.svc.{domain}"


def _ip_version(text: str) -> int | None:
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def is_ip(text: str) -> bool:
    """True for a literal IPv4 or IPv6 address (no CIDR), as endpoint and host checks need."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _order_key(created: dt.datetime | None, name: str, namespace: str) -> tuple[Any, ...]:
    # istiod's configCompareByCreationTime / SortServicesByCreationTime (§3.2, §4.2.4).
    return (created or _EPOCH, name, namespace)


def _normalise_ts(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


# --------------------------------------------------------------------------- host index


class HostIndex:
    """Exact and wildcard keys with istiod's most-specific lookup (§5.1.5), by dictionary probes.

    Equivalent to :func:`sidecar_model.hosts.most_specific_match` over the same keys, but a
    lookup costs one probe per label of the needle instead of a scan of every wildcard key.
    """

    __slots__ = ("_exact", "_irregular", "_wildcard")

    def __init__(self, keys: Iterable[str]) -> None:
        """Index ``keys`` (hostnames, possibly wildcards)."""
        self._exact: set[str] = set()
        self._wildcard: set[str] = set()
        # Wildcards whose rest does not start at a label ("*foo.com"): rare, scanned.
        self._irregular: list[str] = []
        for key in keys:
            if not key.startswith("*"):
                self._exact.add(key)
            elif key == "*" or key[1] == ".":
                self._wildcard.add(key)
            else:
                self._wildcard.add(key)
                self._irregular.append(key)

    def lookup(self, needle: str) -> str | None:
        """The most specific key matching ``needle``, or None (§5.1.5)."""
        if needle.startswith("*"):
            if needle in self._wildcard:
                return needle
            rest = needle[1:]
        else:
            if needle in self._exact:
                return needle
            rest = needle
        best: str | None = None
        start = rest.find(".")
        while start >= 0:
            key = "*" + rest[start:]
            if key in self._wildcard:
                best = key
                break
            start = rest.find(".", start + 1)
        if best is None and "*" in self._wildcard:
            best = "*"
        for key in self._irregular:
            if rest.endswith(key[1:]) and (best is None or _more_specific_wildcard(key, best)):
                best = key
        return best


def _more_specific_wildcard(a: str, b: str) -> bool:
    # §5.1.4 for two wildcards: longer first, then lexicographically smaller.
    return len(a) > len(b) or (len(a) == len(b) and a < b)


def dot_suffixes(hostname: str) -> Iterator[str]:
    """The label-aligned suffixes of a hostname's non-wildcard part, with their dot.

    ``a.example.com`` yields ``.example.com`` and ``.com``; ``*.example.com`` yields
    ``.example.com`` and ``.com``. A wildcard ``*<s>`` covers exactly the names indexed under
    ``<s>`` (§5.1.2), which is how the resolver finds them without a scan.
    """
    rest = hostname.removeprefix("*")
    start = 0 if rest.startswith(".") else rest.find(".")
    while start >= 0:
        yield rest[start:]
        start = rest.find(".", start + 1)


# --------------------------------------------------------------------------- the mesh


@attrs.frozen(kw_only=True, eq=False, slots=False)
class Mesh:
    """The normalised inventory of a mesh, and the indexes resolution uses.

    Build one with :meth:`from_resources` or :meth:`load`. ``services`` are in istiod's
    order (creation time, then name — the hostname for ServiceEntries — then namespace,
    §4.2.4); ``sidecars`` in selection order (§3.2).
    """

    config: MeshConfig = MeshConfig()
    services: tuple[MeshService, ...] = ()
    virtual_services: tuple[VirtualServiceInfo, ...] = ()
    destination_rules: tuple[DestinationRuleInfo, ...] = ()
    sidecars: tuple[Resource[Sidecar], ...] = ()
    workloads: tuple[Workload, ...] = ()
    namespaces: FrozenDict[str, FrozenDict[str, str]] = attrs.field(
        default=EMPTY, converter=_namespace_labels
    )
    resources: tuple[Resource[Any], ...] = ()

    # ------------------------------------------------------------------ building

    @classmethod
    def from_resources(
        cls,
        resources: Iterable[Resource[Any]],
        *,
        config: MeshConfig | None = None,
        services: Iterable[MeshService] = (),
        workloads: Iterable[Workload] = (),
    ) -> Mesh:
        """Build a mesh from loaded resources of any kind, plus hand-made services and workloads.

        The MeshConfig is ``config`` when given, else the one found among ``resources`` (a
        ``MeshConfig`` document or the ``istio`` ConfigMap's ``mesh`` key), else the default.
        Kinds resolution does not read are kept in :attr:`resources` and otherwise ignored.
        """
        with gc_paused():
            return _build(list(resources), config, list(services), list(workloads))

    @classmethod
    def load(cls, *paths: str | PathLike[str], config: MeshConfig | None = None) -> Mesh:
        """Load YAML/JSON files, or every ``.yaml``/``.yml``/``.json`` file under directories."""
        from sidecar_model.codec import load  # noqa: PLC0415 - codec imports resources

        loaded: list[Resource[Any]] = []
        for path in paths:
            root = Path(path)
            files = (
                sorted(p for p in root.rglob("*") if p.suffix in {".yaml", ".yml", ".json"})
                if root.is_dir()
                else [root]
            )
            for file in files:
                loaded.extend(load(file))
        return cls.from_resources(loaded, config=config)

    # ------------------------------------------------------------------ indexes

    @cached_property
    def service_order(self) -> dict[int, int]:
        """Position of each service (by ``id``) in :attr:`services`."""
        return {id(s): i for i, s in enumerate(self.services)}

    @cached_property
    def has_aliases(self) -> bool:
        """Whether some service has ExternalName aliases (§5.4 step 5 then has work to do)."""
        return any(s.aliases for s in self.services)

    @cached_property
    def services_by_namespace(self) -> dict[str, tuple[MeshService, ...]]:
        """Services of each namespace, in order."""
        result: dict[str, list[MeshService]] = {}
        for service in self.services:
            result.setdefault(service.namespace, []).append(service)
        return {ns: tuple(items) for ns, items in result.items()}

    @cached_property
    def services_by_hostname(self) -> dict[str, tuple[MeshService, ...]]:
        """Services declaring each hostname, in order."""
        result: dict[str, list[MeshService]] = {}
        for service in self.services:
            result.setdefault(service.hostname, []).append(service)
        return {host: tuple(items) for host, items in result.items()}

    @cached_property
    def services_by_suffix(self) -> dict[str, tuple[MeshService, ...]]:
        """Services by each label-aligned suffix of their hostname (see :func:`dot_suffixes`)."""
        result: dict[str, list[MeshService]] = {}
        for service in self.services:
            for suffix in dot_suffixes(service.hostname):
                result.setdefault(suffix, []).append(service)
        return {key: tuple(items) for key, items in result.items()}

    @cached_property
    def service_by_host_and_namespace(self) -> dict[tuple[str, str], MeshService]:
        """(hostname, namespace) → one service, Kubernetes first, else oldest (§4.2.5)."""
        result: dict[tuple[str, str], MeshService] = {}
        for service in self.services:
            key = (service.hostname, service.namespace)
            kept = result.get(key)
            if kept is None or (
                service.registry is Registry.KUBERNETES and kept.registry is not Registry.KUBERNETES
            ):
                result[key] = service
        return result

    @cached_property
    def effective_export(self) -> dict[int, frozenset[str]]:
        """Each service's effective export set, by ``id`` (§4.2.2)."""
        default = frozenset(self.config.default_service_export_to or ("*",))
        capped = self.config.service_entry_visibility
        if capped is not None and not capped.apply_to_sidecars:
            capped = None
        result = {}
        for service in self.services:
            export = service.export_to or default
            if capped is not None and service.registry is Registry.EXTERNAL and export != {"~"}:
                export = _capped_export(
                    export,
                    service.namespace,
                    capped.visibility_for(self.namespace_labels(service.namespace)),
                )
            result[id(service)] = export
        return result

    @cached_property
    def export_buckets(self) -> tuple[tuple[MeshService, ...], dict[str, tuple[MeshService, ...]]]:
        """Istiod's visibility index (§4.2.4): the public list and each namespace's bucket."""
        public: list[MeshService] = []
        buckets: dict[str, list[MeshService]] = {}
        effective = self.effective_export
        for service in self.services:
            export = effective[id(service)]
            if "*" in export:
                public.append(service)
                continue
            if "~" in export:
                continue
            targets = {service.namespace if e == "." else e for e in export}
            for target in targets:
                buckets.setdefault(target, []).append(service)
        return tuple(public), {ns: tuple(items) for ns, items in buckets.items()}

    @cached_property
    def public_ids(self) -> frozenset[int]:
        """``id`` of every service in the public list."""
        return frozenset(id(s) for s in self.export_buckets[0])

    @cached_property
    def bucket_ids(self) -> dict[str, frozenset[int]]:
        """``id`` of every service in each namespace's bucket."""
        return {ns: frozenset(map(id, items)) for ns, items in self.export_buckets[1].items()}

    @cached_property
    def sidecars_by_namespace(self) -> dict[str, tuple[Resource[Sidecar], ...]]:
        """Each namespace's Sidecars, in selection order (§3.2)."""
        result: dict[str, list[Resource[Sidecar]]] = {}
        for sidecar in self.sidecars:
            result.setdefault(sidecar.namespace or "default", []).append(sidecar)
        return {ns: tuple(items) for ns, items in result.items()}

    @cached_property
    def root_default_sidecar(self) -> Resource[Sidecar] | None:
        """The oldest selector-less Sidecar of the root namespace (§3.3)."""
        for sidecar in self.sidecars_by_namespace.get(self.config.root_namespace, ()):
            if sidecar.spec.workload_selector is None:
                return sidecar
        return None

    @cached_property
    def vs_for_gateway(
        self,
    ) -> dict[
        str,
        tuple[
            tuple[VirtualServiceInfo, ...],
            dict[str, tuple[VirtualServiceInfo, ...]],
            dict[str, tuple[VirtualServiceInfo, ...]],
        ],
    ]:
        """Per gateway: public VSs, private VSs by namespace, exported VSs by namespace (§4.3.2)."""
        index: dict[str, tuple[list[Any], dict[str, list[Any]], dict[str, list[Any]]]] = {}
        for vs in self.virtual_services:
            if vs.is_delegate:
                continue  # 4.3.5
            for gateway in vs.gateways or (MESH_GATEWAY,):
                public, private, exported = index.setdefault(gateway, ([], {}, {}))
                if "*" in vs.export_to:
                    public.append(vs)
                elif "~" in vs.export_to:
                    continue
                else:
                    for target in sorted(vs.export_to):
                        bucket = private if target == vs.namespace else exported
                        bucket.setdefault(target, []).append(vs)
        return {
            gateway: (
                tuple(public),
                {ns: tuple(v) for ns, v in private.items()},
                {ns: tuple(v) for ns, v in exported.items()},
            )
            for gateway, (public, private, exported) in index.items()
        }

    @cached_property
    def vs_order(self) -> dict[int, int]:
        """Position of each VirtualService (by ``id``) in creation order."""
        return {id(v): i for i, v in enumerate(self.virtual_services)}

    def service_visible(self, service: MeshService, namespace: str) -> bool:
        """Istiod's visibility predicate (§4.2.3), with the mesh default applied."""
        export = self.effective_export.get(id(service))
        if export is None:
            export = service.export_to or frozenset(self.config.default_service_export_to)
        if export == {"~"}:
            return False
        return (
            "*" in export
            or namespace in export
            or ("." in export and service.namespace == namespace)
        )

    def in_visibility_index(self, service: MeshService, namespace: str) -> bool:
        """Whether ``service`` is listed for ``namespace`` by the visibility index (§4.2.4)."""
        key = id(service)
        return key in self.public_ids or key in self.bucket_ids.get(namespace, frozenset())

    def visible_rank(self, service: MeshService, namespace: str) -> tuple[int, int]:
        """Sort key putting ``namespace``'s bucket first, then the public list (§4.2.4)."""
        key = id(service)
        in_bucket = key in self.bucket_ids.get(namespace, frozenset())
        return (0 if in_bucket else 1, self.service_order[key])

    def namespace_labels(self, namespace: str) -> FrozenDict[str, str]:
        """The labels of a namespace, empty when its Namespace object was not loaded."""
        return self.namespaces.get(namespace, EMPTY)


# --------------------------------------------------------------------------- conversion


def _build(
    resources: list[Resource[Any]],
    config: MeshConfig | None,
    services: list[MeshService],
    workloads: list[Workload],
) -> Mesh:
    mesh_config = config or _find_mesh_config(resources) or MeshConfig()
    domain = mesh_config.cluster_domain
    sidecars: list[Resource[Sidecar]] = []
    vs_resources: list[Resource[VirtualServiceSpec]] = []
    drs: list[DestinationRuleInfo] = []
    namespaces: dict[str, FrozenDict[str, str]] = {}
    workload_resources: list[Resource[Any]] = []
    for resource in resources:
        spec = resource.spec
        namespace = resource.namespace or "default"
        if isinstance(spec, Sidecar):
            sidecars.append(resource)
        elif isinstance(spec, KubernetesServiceSpec):
            services.append(_kubernetes_service(resource, spec, domain))
        elif isinstance(spec, ServiceEntrySpec):
            services.extend(_service_entry_services(resource, spec, namespace))
        elif isinstance(spec, VirtualServiceSpec):
            vs_resources.append(resource)
        elif isinstance(spec, DestinationRuleSpec):
            drs.append(_destination_rule(resource, spec, namespace, domain))
        elif resource.kind == "Namespace":
            namespaces[resource.name or ""] = resource.metadata.labels
        else:
            workload_resources.append(resource)
    services = with_named_target_ports(services, workload_resources)  # 4.2.6
    services = _with_endpoints(services, [*workloads, *_instances(workload_resources)])
    for resource in _without_owned(workload_resources):
        workloads.extend(_workloads_of(resource))
    services.sort(key=_service_sort_key)
    services = _resolve_aliases(services)
    sidecars.sort(
        key=lambda s: _order_key(
            _normalise_ts(s.metadata.creation_timestamp), s.name or "", s.namespace or ""
        )
    )
    # 3.2: a stable partition, selector Sidecars first.
    sidecars.sort(key=lambda s: s.spec.workload_selector is None)
    return Mesh(
        config=mesh_config,
        services=tuple(services),
        virtual_services=_virtual_services(vs_resources, mesh_config),
        destination_rules=_sorted_destination_rules(drs),
        sidecars=tuple(sidecars),
        workloads=tuple(workloads),
        namespaces=namespaces,
        resources=tuple(resources),
    )


def _instances(resources: list[Resource[Any]]) -> Iterator[Workload]:
    """The Pods and WorkloadEntries of a dump, all of them: each may be a service endpoint."""
    for resource in resources:
        if resource.kind == "Pod" or isinstance(resource.spec, WorkloadEntrySpec):
            yield from _workloads_of(resource)


def _with_endpoints(services: list[MeshService], instances: list[Workload]) -> list[MeshService]:
    """Give passthrough services with a selector the addresses of the instances it selects.

    Only services without a VIP and resolution ``NONE`` (headless Kubernetes Services,
    ServiceEntries with resolution NONE) use their endpoints in listeners (L5); their
    selector picks, in their own namespace, the Pods (by ``status.podIP``) and
    WorkloadEntries (by ``address``) whose labels include it, after any endpoints the
    service already lists (a ServiceEntry's ``endpoints``). Endpoints Kubernetes keeps
    for Services without a selector (EndpointSlices) are not read.
    """
    by_namespace: dict[str, list[Workload]] = {}
    for instance in instances:
        if instance.ip:
            by_namespace.setdefault(instance.namespace, []).append(instance)
    if not by_namespace:
        return services
    result = []
    for service in services:
        selector = service.selector
        pool = by_namespace.get(service.namespace)
        if (
            pool
            and selector
            and service.resolution == "NONE"
            and service.address == WILDCARD_ADDRESS
        ):
            found = [i.ip for i in pool if i.ip and selector.items() <= i.labels.items()]
            known = set(service.endpoints)
            extra = [ip for ip in dict.fromkeys(found) if ip not in known]
            if extra:
                service = attrs.evolve(service, endpoints=(*service.endpoints, *extra))  # noqa: PLW2901
        result.append(service)
    return result


def _resolve_aliases(services: list[MeshService]) -> list[MeshService]:
    """Give every service the ExternalName aliases that point at its hostname (§5.4 step 5).

    istiod's ``resolveServiceAliases``: each ExternalName Service (resolution ``ALIAS``)
    names a hostname; chains of ExternalNames are followed to the first name that is no
    alias (keyed by hostname only, as an ExternalName is not namespaced: when two
    namespaces' ExternalNames share a hostname the later in istiod's order wins), loops are
    dropped, and every service declaring the final hostname — Kubernetes Service or
    ServiceEntry, in any namespace — gets the aliases, sorted by namespace then hostname.
    Services nothing points at keep the aliases they were given.
    """
    raw = {(s.hostname, s.namespace): s.alias_for for s in services if s.is_alias and s.alias_for}
    if not raw:
        return services
    by_host = {host: target for (host, _), target in raw.items()}
    found: dict[str, list[ServiceAlias]] = {}
    for (host, namespace), target in raw.items():
        seen = {host, target}
        end = target
        while end in by_host:
            following = by_host[end]
            if following in seen:
                break  # a loop: Kubernetes answers NXDOMAIN, so it aliases nothing
            seen.add(following)
            end = following
        else:
            found.setdefault(end, []).append(ServiceAlias(hostname=host, namespace=namespace))
    for aliases in found.values():
        aliases.sort(key=lambda a: (a.namespace, a.hostname))
    return [
        attrs.evolve(s, aliases=found[s.hostname]) if s.hostname in found else s for s in services
    ]


def _service_sort_key(service: MeshService) -> tuple[Any, ...]:
    # 4.2.4: the "name attribute" is the hostname for ServiceEntry-derived services.
    name = service.name if service.registry is Registry.KUBERNETES else service.hostname
    return _order_key(_normalise_ts(service.creation_timestamp), name, service.namespace)


def _find_mesh_config(resources: list[Resource[Any]]) -> MeshConfig | None:
    from sidecar_model.codec import structure  # noqa: PLC0415 - codec imports resources

    for resource in resources:
        if resource.kind == "MeshConfig" and resource.spec is not None:
            return structure(thaw(resource.spec), MeshConfig)
        if resource.kind == "ConfigMap" and resource.name == "istio":
            data = resource.extra.get("data")
            text = data.get("mesh") if isinstance(data, dict) else None
            if text is None:
                continue
            if not isinstance(text, str):
                problem = Problem(
                    message="the istio ConfigMap's data.mesh must be a string of YAML",
                    code="bad-mesh-config",
                    path="data.mesh",
                )
                raise ManifestError([problem])
            return MeshConfig.from_yaml(text, source=f"ConfigMap {resource.namespace}/istio")
    return None


def _kubernetes_service(
    resource: Resource[KubernetesServiceSpec], spec: KubernetesServiceSpec, domain: str
) -> MeshService:
    namespace = resource.namespace or "default"
    name = resource.name or ""
    export = annotation_export_set(resource.metadata.annotations)
    headless = spec.cluster_ip in {"None", ""} or spec.cluster_ip is None
    # istiod's ConvertService: an ExternalName with a name is an alias (unless clusterIP is
    # None, which makes any Service headless); the ENABLE_EXTERNAL_NAME_ALIAS opt-out is gone.
    external = spec.type == "ExternalName" and bool(spec.external_name)
    alias = external and spec.cluster_ip != "None"
    resolution = ALIAS_RESOLUTION if alias else "NONE" if headless else "STATIC"
    address = WILDCARD_ADDRESS if headless or external else str(spec.cluster_ip)
    return MeshService(
        hostname=f"{name}.{namespace}.svc.{domain}",
        namespace=namespace,
        name=name,
        ports=tuple(
            ServicePort(
                name=p.name or "",
                number=p.port or 0,
                protocol=kubernetes_port_protocol(p.port or 0, p.name, p.protocol, p.app_protocol),
                target_port=_int_or_none(p.extra.get("targetPort")),
                target_port_name=target_port_name(p.extra.get("targetPort")),
            )
            for p in spec.ports
        ),
        export_to=export,
        registry=Registry.KUBERNETES,
        resolution=resolution,
        creation_timestamp=resource.metadata.creation_timestamp,
        address=address,
        labels=resource.metadata.labels,
        selector=spec.selector or None,
        alias_for=spec.external_name if external else None,
        source=resource,
    )


def _int_or_none(value: object) -> int | None:
    # A named targetPort is resolved from the pods' container ports later (4.2.6).
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _service_entry_services(
    resource: Resource[ServiceEntrySpec], spec: ServiceEntrySpec, namespace: str
) -> Iterator[MeshService]:
    ports = tuple(
        ServicePort(
            name=p.name or "",
            number=p.number or 0,
            protocol=Protocol.parse(p.protocol),
            target_port=p.target_port,
        )
        for p in spec.ports
    )
    addresses = [a.removesuffix("/32").removesuffix("/128") for a in spec.addresses if _is_cidr(a)]
    selector = spec.workload_selector.labels if spec.workload_selector is not None else None
    for host in spec.hosts:
        for address in addresses or [WILDCARD_ADDRESS]:
            yield MeshService(
                hostname=host,  # §0.4: ServiceEntry hosts are used verbatim, never expanded
                namespace=namespace,
                name=resource.name or "",
                ports=ports,
                export_to=frozenset(spec.export_to) or None,
                registry=Registry.EXTERNAL,
                resolution=spec.resolution or "NONE",
                creation_timestamp=resource.metadata.creation_timestamp,
                address=address,
                labels=resource.metadata.labels,
                selector=selector,
                endpoints=tuple(e.address for e in spec.endpoints if e.address),
                source=resource,
            )


def _virtual_services(
    resources: list[Resource[VirtualServiceSpec]], config: MeshConfig
) -> tuple[VirtualServiceInfo, ...]:
    domain = config.cluster_domain
    resources = sorted(
        resources,
        key=lambda r: _order_key(
            _normalise_ts(r.metadata.creation_timestamp), r.name or "", r.namespace or ""
        ),
    )
    by_name = {(r.namespace or "default", r.name): r for r in resources}
    result = []
    for resource in resources:
        namespace = resource.namespace or "default"
        spec = resource.spec
        declared = spec.export_to or config.default_virtual_service_export_to
        export = frozenset(namespace if e == "." else e for e in declared)  # 4.3.1
        http: list[tuple[frozenset[str], tuple[tuple[str, int], ...]]] = []
        for route in spec.http:
            if route.delegate is not None:
                http.extend(_delegate_routes(route, namespace, by_name, config))
            else:
                http.append(_http_route(route, namespace, domain))
        l4 = tuple(
            pair
            for route in itertools.chain(spec.tcp, spec.tls)
            for pair in _destinations(route.route, namespace, domain)
        )
        result.append(
            VirtualServiceInfo(
                resource=resource,
                name=resource.name or "",
                namespace=namespace,
                hosts=tuple(resolve_short_name(h, namespace, domain) for h in spec.hosts),
                gateways=spec.gateways,
                export_to=export,
                creation_timestamp=resource.metadata.creation_timestamp,
                http_destinations=tuple(http),
                l4_destinations=l4,
            )
        )
    return tuple(result)


def _http_route(
    route: Any,  # noqa: ANN401 - resources.HTTPRoute; kept loose for delegates
    namespace: str,
    domain: str,
) -> tuple[frozenset[str], tuple[tuple[str, int], ...]]:
    sources = frozenset(m.source_namespace for m in route.match if m.source_namespace)
    mirrors = [route.mirror, *(m.destination for m in route.mirrors)]
    pairs = [*_destinations(route.route, namespace, domain)]
    pairs.extend(
        (resolve_short_name(d.host, namespace, domain), (d.port.number or 0) if d.port else 0)
        for d in mirrors
        if d is not None
    )
    return sources, tuple(pairs)


def _delegate_routes(
    root: HTTPRoute,
    namespace: str,
    by_name: dict[tuple[str, str | None], Resource[VirtualServiceSpec]],
    config: MeshConfig,
) -> Iterator[tuple[frozenset[str], tuple[tuple[str, int], ...]]]:
    delegate = root.delegate
    target_ns = (delegate.namespace if delegate else None) or namespace
    target = by_name.get((target_ns, delegate.name)) if delegate else None
    if target is None or target.spec.hosts:
        return  # 4.3.5: only a VirtualService without hosts can be a delegate
    declared = target.spec.export_to or config.default_virtual_service_export_to
    export = {target_ns if e == "." else e for e in declared}
    if "*" not in export and namespace not in export:
        return  # 4.3.5: the delegate is not exported to the root's namespace
    domain = config.cluster_domain
    for route in merge_delegate_routes(
        root,
        namespace,
        target.spec.http,
        target_ns,
        functools.partial(resolve_short_name, namespace=namespace, domain=domain),
    ):
        yield _http_route(route, target_ns, domain)


def _destinations(routes: Iterable[Any], namespace: str, domain: str) -> Iterator[tuple[str, int]]:
    for route in routes:
        destination = route.destination
        if destination is not None:
            port = destination.port.number if destination.port is not None else None
            yield resolve_short_name(destination.host, namespace, domain), port or 0


def _destination_rule(
    resource: Resource[DestinationRuleSpec], spec: DestinationRuleSpec, namespace: str, domain: str
) -> DestinationRuleInfo:
    selector = spec.workload_selector.match_labels if spec.workload_selector is not None else None
    # 4.4.2: exportTo as written; a selector DR is forced private.
    export = frozenset({"."}) if selector is not None else frozenset(spec.export_to)
    return DestinationRuleInfo(
        resource=resource,
        name=resource.name or "",
        namespace=namespace,
        host=resolve_short_name(spec.host or "", namespace, domain),
        export_to=export,
        selector=selector,
        subsets=tuple(s.name or "" for s in spec.subsets),
        traffic_policy=spec.traffic_policy,
        creation_timestamp=resource.metadata.creation_timestamp,
    )


def _sorted_destination_rules(drs: list[DestinationRuleInfo]) -> tuple[DestinationRuleInfo, ...]:
    # 4.4.1: selector DRs first, then creation time, name, namespace.
    return tuple(
        sorted(
            drs,
            key=lambda d: (
                d.selector is None,
                *_order_key(_normalise_ts(d.creation_timestamp), d.name, d.namespace),
            ),
        )
    )


#: Kinds whose objects a dump may hold next to the objects they own.
_CONTROLLER_KINDS: Final = frozenset({*(k for _, k in WORKLOAD_CONTROLLER_KINDS), "CronJob"})
#: An owner a dump may lack, and the owner of *that* its name leads to: a Deployment's
#: ReplicaSets are named ``<deployment>-<pod-template-hash>``, a CronJob's Jobs
#: ``<cronjob>-<scheduled time>``.
_NAMED_AFTER: Final = {"ReplicaSet": "Deployment", "Job": "CronJob"}


def _without_owned(resources: list[Resource[Any]]) -> Iterator[Resource[Any]]:
    """The workload sources of a dump, without those a controller in the dump already covers.

    A dump with both a Deployment and its ReplicaSets and Pods would otherwise count one
    workload three times. An object is dropped when it is owned by a controller present
    in the dump (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob in the same
    namespace), found through ``metadata.ownerReferences`` (the controlling reference, else
    the first), also through an owner the dump lacks when that owner's name leads to one
    it has (ReplicaSet ``<deployment>-<hash>`` to its Deployment, Job to its CronJob). A
    Pod whose owners lead to nothing in the dump is also dropped when its labels include
    every label of the pod template of a controller in its namespace. WorkloadEntries and
    standalone Pods are kept.
    """
    present: set[tuple[str, str, str]] = set()
    templates: dict[str, list[FrozenDict[str, str]]] = {}
    for resource in resources:
        if resource.kind in _CONTROLLER_KINDS and resource.api_group in {"apps", "batch"}:
            namespace = resource.namespace or "default"
            present.add((namespace, resource.kind, resource.name or ""))
            labels = _template_labels(resource)
            if labels:
                templates.setdefault(namespace, []).append(labels)
    if not present:
        yield from resources
        return
    for resource in resources:
        namespace = resource.namespace or "default"
        owner = _owner(resource.metadata)
        if owner is not None:
            kind, name = owner
            if (namespace, kind, name) in present:
                continue
            parent = _NAMED_AFTER.get(kind)
            if parent is not None and (namespace, parent, name.rpartition("-")[0]) in present:
                continue
        if resource.kind == "Pod" and any(
            labels.items() <= resource.metadata.labels.items()
            for labels in templates.get(namespace, ())
        ):
            continue
        yield resource


def _owner(meta: ObjectMeta) -> tuple[str, str] | None:
    references = meta.extra.get("ownerReferences")
    if not isinstance(references, (list, tuple)) or not references:
        return None
    chosen = next(
        (r for r in references if isinstance(r, Mapping) and r.get("controller") is True),
        references[0],
    )
    if not isinstance(chosen, Mapping):
        return None
    kind, name = chosen.get("kind"), chosen.get("name")
    return (kind, name) if isinstance(kind, str) and isinstance(name, str) else None


def _template_labels(resource: Resource[Any]) -> FrozenDict[str, str] | None:
    template = pod_template_of(resource) if resource.kind != "Pod" else None
    return None if template is None else template.metadata.labels


def _workloads_of(resource: Resource[Any]) -> Iterator[Workload]:
    group = resource.api_group
    spec = resource.spec
    meta: ObjectMeta | None = None
    if resource.kind == "Pod" and group == "":
        meta = resource.metadata
    elif isinstance(spec, WorkloadControllerSpec) and (group, resource.kind) in (
        WORKLOAD_CONTROLLER_KINDS
    ):
        meta = spec.template.metadata if spec.template is not None else None
    elif isinstance(spec, CronJobSpec) and spec.job_template is not None:
        job = spec.job_template.spec
        meta = job.template.metadata if job is not None and job.template is not None else None
    elif isinstance(spec, WorkloadEntrySpec):
        yield Workload(
            namespace=resource.namespace or "default",
            labels=spec.labels or resource.metadata.labels,
            name=resource.name or "",
            ip=spec.address,
            ip_family=IPFamily.of([spec.address] if spec.address else []),
            source=resource,
        )
        return
    if meta is None:
        return
    yield Workload(
        namespace=resource.namespace or "default",
        labels=meta.labels,
        name=resource.name or "",
        proxy_type=_proxy_type(meta, resource),
        interception_mode=meta.annotations.get("sidecar.istio.io/interceptionMode", "REDIRECT"),
        ip=_pod_ip(resource) if resource.kind == "Pod" else None,
        ip_family=IPFamily.of(_pod_ips(resource)) if resource.kind == "Pod" else IPFamily.IPV4,
        source=resource,
    )


def _pod_ips(resource: Resource[Any]) -> list[str]:
    """A Pod's ``status.podIPs`` (or ``podIP``): every address, for its IP family."""
    status = pod_status(resource)
    found = [
        str(entry.get("ip"))
        for entry in status.get("podIPs") or ()
        if isinstance(entry, Mapping) and isinstance(entry.get("ip"), str)
    ]
    single = _pod_ip(resource)
    return found or ([single] if single else [])


def _pod_ip(resource: Resource[Any]) -> str | None:
    """A Pod's ``status.podIP``, the address istiod knows its proxy and endpoints by."""
    ip = pod_status(resource).get("podIP")
    return ip if isinstance(ip, str) and ip else None


def _proxy_type(meta: ObjectMeta, resource: Resource[Any]) -> ProxyType:
    # 3.6.1: the pod's proxy command, injection templates, then the gateway labels.
    return ProxyType(proxy_type(meta, pod_spec_of(resource), resource.metadata.labels))
