"""The values resolution reads: services, ports, aliases, workloads, routing rules."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model._collections import EMPTY, FrozenDict
from sidecar_model.model import Protocol
from sidecar_model.resources import (
    DestinationRuleSpec,
    Resource,
    ServiceEntrySpec,
    VirtualServiceSpec,
    str_map,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
from sidecar_model.mesh._config import _optional_map, _optional_set, _strings
from sidecar_model.mesh._names import _ip_version

WILDCARD_ADDRESS: Final = "0.0.0.0"  # noqa: S104 - an address istiod writes, never bound here
MESH_GATEWAY: Final = "mesh"
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
    """One registry service as istiod models it (§0.4).

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

    @property
    def kind(self) -> str:
        """What declares it: ``Kubernetes Service`` or ``ServiceEntry (MESH_INTERNAL)``.

        A ServiceEntry's location defaults to MESH_EXTERNAL, as in Istio's API.
        """
        if self.registry is Registry.KUBERNETES:
            return "Kubernetes Service"
        spec = None if self.source is None else self.source.spec
        location = spec.location if isinstance(spec, ServiceEntrySpec) else None
        return f"ServiceEntry ({location or 'MESH_EXTERNAL'})"

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


@attrs.frozen(kw_only=True, cache_hash=True)
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
