"""The scope istiod computes per (Sidecar, config namespace) (§5.0, §5.9, §6.8).

And the workload's view of it: DestinationRules, outbound policy, inbound pools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model._collections import FrozenDict
from sidecar_model._results import Result, gc_paused, resource_name
from sidecar_model.codec import unstructure
from sidecar_model.mesh import (
    Mesh,
    MeshOutboundMode,
    MeshService,
    ProxyType,
    ServicePort,
    VirtualServiceInfo,
    Workload,
)
from sidecar_model.mesh._index import HostIndex
from sidecar_model.mesh._pod_specs import pod_spec_of
from sidecar_model.mesh._target_ports import pod_target_port
from sidecar_model.model import (
    CaptureMode,
    ConnectionPoolSettings,
    IstioEgressListener,
    IstioIngressListener,
    OutboundTrafficPolicy,
    OutboundTrafficPolicyMode,
    Sidecar,
)
from sidecar_model.resources import Resource

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from sidecar_model.resolver._listener_values import OutboundListener
    from sidecar_model.resolver._outbound import _Signature
from sidecar_model.resolver._cache import cache_of
from sidecar_model.resolver._imports import _classify, _import_services
from sidecar_model.resolver._selection import (
    SelectionOrigin,
    SidecarSelection,
    _labels_match,
    _repr_name,
    _select_position,
    _selection_dict,
    select_sidecar,
)
from sidecar_model.resolver._virtual_services import (
    _inferred_services,
    _select_virtual_services,
    _Union,
)
from sidecar_model.resolver._visibility import (
    MergedDestinationRule,
    _dr_for_proxy,
    _visible_virtual_services,
    destination_rules_for,
    services_visible_to,
)

_IMPLICIT_EGRESS: Final = IstioEgressListener(hosts=("*/*",))
#: How many union hostnames a scope's prose names before "...".
_SHOWN: Final = 20

# =========================================================================== scopes (§5)


@attrs.frozen(kw_only=True)
class EgressScope(Result):
    """One egress listener of a scope, with what it imports (§5.2 to §5.6)."""

    index: int
    listener: IstioEgressListener
    services: tuple[MeshService, ...]
    virtual_services: tuple[VirtualServiceInfo, ...]
    implicit: bool = False

    @property
    def port(self) -> int | None:
        """The listener's port number, None for the catch-all listener."""
        return None if self.listener.port is None else self.listener.port.number

    def virtual_service_for(self, hostname: str) -> VirtualServiceInfo | None:
        """The VirtualService that routes ``hostname`` on this listener (§5.10).

        An exact VS host wins; else the VS owning the most specific matching wildcard host
        (5.1.5). When several VSs declare the same host string, the first in selection order
        (private, exported, public; oldest first) owns it.
        """
        owners: dict[str, VirtualServiceInfo] = {}
        for vs in self.virtual_services:
            for host in vs.hosts:
                owners.setdefault(host, vs)
        key = HostIndex(owners).lookup(hostname)
        return None if key is None else owners[key]

    def __str__(self) -> str:
        """Prose summary."""
        port = self.listener.port
        what = "catch-all listener" if port is None else f"listener on port {port.number}"
        if self.implicit:
            what = "implicit catch-all listener (no egress: */*)"
        hosts = ", ".join(self.listener.hosts)
        lines = [f"egress[{self.index}] {what}, hosts {hosts}:"]
        lines.extend(f"    imports {s}" for s in self.services)
        lines.extend(f"    routes with {v.namespace}/{v.name}" for v in self.virtual_services)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "index": self.index,
            "port": self.port,
            "hosts": list(self.listener.hosts),
            "implicit": self.implicit,
            "services": [_service_dict(s) for s in self.services],
            "virtualServices": [f"{v.namespace}/{v.name}" for v in self.virtual_services],
        }


def _service_dict(service: MeshService) -> dict[str, Any]:
    return {
        "hostname": service.hostname,
        "namespace": service.namespace,
        "registry": service.registry.value,
        "ports": [
            {"name": p.name, "number": p.number, "protocol": p.protocol.value}
            for p in service.ports
        ],
        "aliases": [a.hostname for a in service.aliases],
    }


class _CoreMemo:
    """What a scope computes on first need and keeps: the scope's own memory."""

    __slots__ = ("dr_rules", "endpoint_ips", "listeners", "own_addresses", "signature")

    def __init__(self) -> None:
        self.dr_rules: dict[str, tuple[MergedDestinationRule, ...]] = {}
        self.listeners: dict[tuple[bool, bool, str | None, str], tuple[OutboundListener, ...]] = {}
        #: Endpoint addresses of passthrough services (L5).
        self.endpoint_ips: frozenset[str] | None = None
        #: Service addresses and binds of the egress listeners (L5).
        self.own_addresses: frozenset[str] | None = None
        #: What the outbound listeners depend on (see ``_outbound._signature``).
        self.signature: _Signature | None = None


@attrs.frozen(kw_only=True, eq=False)
class _Core:
    """What istiod computes per (Sidecar, config namespace): shared by many workloads.

    It holds no reference to its mesh: the mesh's cache holds it (see ``_cache``).
    """

    sidecar: Resource[Sidecar] | None
    namespace: str
    gateway: bool
    egress: tuple[EgressScope, ...]
    services: tuple[MeshService, ...]
    service_by_host: dict[str, MeshService]
    #: Whether some egress listener binds a real socket whatever the proxy (L1).
    binds_sockets: bool
    memo: _CoreMemo = attrs.field(factory=_CoreMemo, repr=False)


def _core(mesh: Mesh, position: int | None, namespace: str, gateway: bool) -> _Core:  # noqa: FBT001
    """The scope of the Sidecar at ``position`` in ``mesh.sidecars`` (None: no Sidecar)."""
    key = (position, namespace, gateway)
    cache = cache_of(mesh).scopes
    core = cache.get(key)
    if core is None:
        sidecar = None if position is None else mesh.sidecars[position]
        # Bulk allocation of objects that all survive: keep the cyclic collector out of it.
        with gc_paused():
            core = cache[key] = _build_core(mesh, sidecar, namespace, gateway=gateway)
    return core


def _binds_sockets(egress: tuple[EgressScope, ...]) -> bool:
    # L1: capture mode NONE or a unix socket bind makes a listener bind a real socket.
    return any(
        e.listener.capture_mode is CaptureMode.NONE or (e.listener.bind or "").startswith("unix://")
        for e in egress
    )


def _build_core(
    mesh: Mesh, sidecar: Resource[Sidecar] | None, namespace: str, *, gateway: bool
) -> _Core:
    if gateway:
        # 3.6: every visible service through the 5.8 union, mesh-gateway VSs, no namespace choice.
        visible = services_visible_to(mesh, namespace)
        egress = (
            EgressScope(
                index=0,
                listener=_IMPLICIT_EGRESS,
                services=visible,
                virtual_services=_visible_virtual_services(mesh, namespace),
                implicit=True,
            ),
        )
        union = _Union()
        for service in visible:
            union.append(service)
        return _finished(None, namespace, egress, union, gateway=True)
    listeners = sidecar.spec.egress if sidecar is not None else ()
    implicit = not listeners
    egress_list = []
    for index, listener in enumerate(listeners or (_IMPLICIT_EGRESS,)):  # 5.0 step 1
        classes, all_exact = _classify(listener.hosts, namespace)
        services = _import_services(mesh, listener, classes, all_exact, namespace)
        vss = _select_virtual_services(mesh, classes, namespace)
        egress_list.append(
            EgressScope(
                index=index,
                listener=listener,
                services=services,
                virtual_services=vss,
                implicit=implicit,
            )
        )
    union = _Union()
    for scope in egress_list:  # 5.8
        for service in scope.services:
            union.append(service)
        for service in _inferred_services(mesh, scope, namespace):  # 5.7
            union.append(service)
    return _finished(sidecar, namespace, tuple(egress_list), union, gateway=False)


def _finished(
    sidecar: Resource[Sidecar] | None,
    namespace: str,
    egress: tuple[EgressScope, ...],
    union: _Union,
    *,
    gateway: bool,
) -> _Core:
    return _Core(
        sidecar=sidecar,
        namespace=namespace,
        gateway=gateway,
        egress=egress,
        services=tuple(union.by_host.values()),
        service_by_host=union.by_host,
        binds_sockets=_binds_sockets(egress),
    )


# --------------------------------------------------------------------------- the scope


@attrs.frozen(kw_only=True)
class InboundPool(Result):
    """The inbound connection pool of one port and the level of §6.8 it comes from."""

    port: int
    source: str
    pool: ConnectionPoolSettings | FrozenDict[str, Any] | None

    def __str__(self) -> str:
        """``port 8080: Sidecar inboundConnectionPool``."""
        return f"port {self.port}: {self.source}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        pool = self.pool
        return {
            "port": self.port,
            "source": self.source,
            "pool": None if pool is None else unstructure(pool),
        }


@attrs.frozen(kw_only=True, eq=False)
class SidecarScope(Result):
    """What a workload's proxy is configured from (§5.0), shared with workloads like it.

    ``namespace`` is the config namespace; ``egress`` one entry per egress listener
    (the implicit ``*/*`` one included); ``services`` the scope-wide union (§5.8).
    """

    workload: Workload
    sidecar: Resource[Sidecar] | None = attrs.field(repr=_repr_name)
    origin: SelectionOrigin
    #: The mesh this scope was computed in.
    mesh: Mesh = attrs.field(repr=False)
    _core: _Core = attrs.field(repr=False, alias="core")

    @property
    def selection(self) -> SidecarSelection:
        """Which Sidecar was chosen and why (computed on demand)."""
        return select_sidecar(self.mesh, self.workload)

    @property
    def namespace(self) -> str:
        """The config namespace (the workload's namespace, 3.8)."""
        return self._core.namespace

    @property
    def egress(self) -> tuple[EgressScope, ...]:
        """The egress listeners with their imports."""
        return self._core.egress

    @property
    def services(self) -> tuple[MeshService, ...]:
        """The scope-wide service union (5.8): the services that get clusters."""
        return self._core.services

    def service(self, hostname: str) -> MeshService | None:
        """The union's service for ``hostname``."""
        return self._core.service_by_host.get(hostname)

    def destination_rules(self, hostname: str) -> tuple[MergedDestinationRule, ...]:
        """The DestinationRule list the scope holds for a union service (§5.9, §4.4.4)."""
        core = self._core
        cached = core.memo.dr_rules.get(hostname)
        if cached is None:
            service = core.service_by_host.get(hostname)
            cached = (
                ()
                if service is None
                else destination_rules_for(self.mesh, core.namespace, hostname, service.namespace)
            )
            core.memo.dr_rules[hostname] = cached
        return cached

    def destination_rule(
        self, hostname: str, labels: Mapping[str, str] | None = None
    ) -> MergedDestinationRule | None:
        """The DestinationRule outbound traffic to ``hostname`` uses from a proxy with ``labels``.

        ``labels`` default to the workload's (§4.4.5, 8.42).
        """
        chosen = self.workload.labels if labels is None else labels
        return _dr_for_proxy(self.destination_rules(hostname), self.namespace, chosen)

    @property
    def outbound_traffic_policy(self) -> OutboundTrafficPolicy | None:
        """The effective policy (T1): the Sidecar's verbatim, else the mesh mode, else None."""
        if self._core.gateway:
            return None  # 3.6: the gateway default scope sets none
        if self.sidecar is not None and self.sidecar.spec.outbound_traffic_policy is not None:
            return self.sidecar.spec.outbound_traffic_policy
        mode = self.mesh.config.outbound_mode
        if mode is None:
            return None
        # T4: ALLOW_ANY_DYNAMIC_DNS passes through as ALLOW_ANY for listener purposes.
        return OutboundTrafficPolicy(
            mode=OutboundTrafficPolicyMode.REGISTRY_ONLY
            if mode is MeshOutboundMode.REGISTRY_ONLY
            else OutboundTrafficPolicyMode.ALLOW_ANY
        )

    @property
    def outbound_mode(self) -> str:
        """The effective mode's name, REGISTRY_ONLY when no policy is set (T1, T4)."""
        policy = self.outbound_traffic_policy
        if policy is None:
            return str(OutboundTrafficPolicyMode.REGISTRY_ONLY.value)
        sidecar_set = self.sidecar is not None and self.sidecar.spec.outbound_traffic_policy
        mesh_mode = self.mesh.config.outbound_mode
        if not sidecar_set and mesh_mode is MeshOutboundMode.ALLOW_ANY_DYNAMIC_DNS:
            return str(mesh_mode.value)
        return str(policy.effective_mode.value)

    @property
    def ingress(self) -> tuple[IstioIngressListener, ...]:
        """The selected Sidecar's ingress listeners (never inherited, 3.7)."""
        return () if self.sidecar is None else self.sidecar.spec.ingress

    def inbound_connection_pool(self, port: int) -> InboundPool:
        """The connection pool of the inbound cluster on workload port ``port`` (§6.8)."""
        for listener in self.ingress:
            if listener.port.number == port and listener.connection_pool is not None:
                return InboundPool(
                    port=port,
                    source="ingress listener connectionPool",
                    pool=listener.connection_pool,
                )
        spec = self.sidecar.spec if self.sidecar is not None else None
        if spec is not None and spec.inbound_connection_pool is not None:
            return InboundPool(
                port=port, source="Sidecar inboundConnectionPool", pool=spec.inbound_connection_pool
            )
        for service, service_port, target in _workload_service_ports(self.mesh, self.workload):
            if target != port:
                continue
            # 8.22: only through the scope's union, and only selector-less DRs.
            rules = self.destination_rules(service.hostname)
            plain = [r for r in rules if r.selector is None]
            if plain and plain[-1].traffic_policy is not None:
                pool = _dr_pool(plain[-1].traffic_policy, service_port.number)
                if pool is not None:
                    return InboundPool(port=port, source=str(plain[-1]), pool=pool)
            break
        default = self.mesh.config.default_traffic_policy
        if default is not None and default.get("connectionPool") is not None:
            return InboundPool(
                port=port, source="MeshConfig defaultTrafficPolicy", pool=default["connectionPool"]
            )
        return InboundPool(port=port, source="Envoy defaults", pool=None)

    def depends_on(self, kind: str, namespace: str, name: str) -> bool:
        """Whether istiod pushes new configuration to this proxy when that object changes.

        As istiod decides it (§5.0.1): EnvoyFilter, AuthorizationPolicy,
        RequestAuthentication, WasmPlugin, TrafficExtension and Telemetry matter in the
        config namespace and the root namespace, whatever their name (D1). A Sidecar,
        VirtualService, DestinationRule, ServiceEntry, Endpoints or PeerAuthentication
        matters only when this scope used it: the selected Sidecar, the selected
        VirtualServices and the delegates merged into them, every DestinationRule merged
        into a rule of a union service, the union's services (a ``ServiceEntry`` or
        ``Endpoints`` named by hostname, as istiod keys them, or by resource name; a
        ``Service`` is a change of its service) and PeerAuthentication in the root
        namespace, the config namespace and the namespaces of union services (D2). A
        Gateway never matters; any other kind always does (D3). A change to a service the
        proxy itself backs always matters; gateways and waypoints follow their own rules
        (D4).

        istiod also asks the proxy's scope from before the change (D4): to judge a change
        between two meshes, ask the scopes of both.
        """
        proxy = self.workload.proxy_type
        if proxy is ProxyType.WAYPOINT:
            return True  # D4: pushes to waypoints are not scoped
        if proxy is ProxyType.ROUTER:
            return _router_depends_on(self, kind, namespace, name)
        if kind in _NEVER_FOR_SIDECARS:
            return False  # D3
        if kind in _NAMESPACE_WIDE:  # D1
            return namespace in {self.namespace, self.mesh.config.root_namespace}
        if kind in _SERVICE_KINDS and _backs(self, namespace, name):
            return True  # D4: the proxy's own services
        check = _RECORDED.get(kind)
        return True if check is None else check(self, namespace, name)  # D2, D3

    def __str__(self) -> str:
        """Prose: selection, listeners, union, policy."""
        who = f"Sidecar {resource_name(self.sidecar)}" if self.sidecar is not None else "no Sidecar"
        shown = ", ".join(s.hostname for s in self.services[:_SHOWN])
        more = " ..." if len(self.services) > _SHOWN else ""
        head = (
            f"scope of {self.workload}: {who} ({self.origin.value}), config namespace "
            f"{self.namespace}, outbound policy {self.outbound_mode}"
        )
        lines = [
            head,
            *(str(e) for e in self.egress),
            f"  {len(self.services)} services get clusters: {shown}{more}",
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            **_selection_dict(self.workload, self.sidecar, self.origin, self.namespace),
            "outboundMode": self.outbound_mode,
            "egress": [e.to_dict() for e in self.egress],
            "services": [_service_dict(s) for s in self.services],
        }


#: D1: kinds that matter when they live in the config or the root namespace (the full list).
_NAMESPACE_WIDE: Final = frozenset(
    {
        "AuthorizationPolicy",
        "EnvoyFilter",
        "RequestAuthentication",
        "Telemetry",
        "TrafficExtension",
        "WasmPlugin",
    }
)
#: D3: a Gateway never matters to a sidecar; nor does an ambient Address (istiod sends
#: those only to proxies that subscribe to workload addresses, which sidecars do not).
_NEVER_FOR_SIDECARS: Final = frozenset({"Gateway", "Address"})
#: The kinds a service change is reported under (D2, D4); ``Service`` is the library's
#: name for a Kubernetes Service resource, whose change istiod reports as a ServiceEntry one.
_SERVICE_KINDS: Final = frozenset({"ServiceEntry", "Service"})


def _names_service(service: MeshService, namespace: str, name: str) -> bool:
    """``(namespace, name)`` names ``service``: by hostname, as istiod keys it, or resource."""
    return service.namespace == namespace and (
        service.hostname == name or (service.source is not None and service.source.name == name)
    )


def _backs(scope: SidecarScope, namespace: str, name: str) -> bool:
    """D4: the proxy is a target of the service (a ServiceEntry-kind change always counts)."""
    return any(
        _names_service(service, namespace, name)
        for service, _, _ in _workload_service_ports(scope.mesh, scope.workload)
    )


def _router_depends_on(scope: SidecarScope, kind: str, namespace: str, name: str) -> bool:
    """D4 for gateways: no Sidecar; a service only when the gateway scope has it; the rest."""
    if kind == "Sidecar" or kind == "Address":  # noqa: PLR1714 - reads as the rule does
        return False
    if kind in _SERVICE_KINDS:
        return any(_names_service(s, namespace, name) for s in scope.services)
    return True


def _on_sidecar(scope: SidecarScope, namespace: str, name: str) -> bool:
    # D2: the scope records the Sidecar it was built from (the root default under its own
    # namespace) and no other.
    chosen = scope.sidecar
    return chosen is not None and (chosen.namespace, chosen.name) == (namespace, name)


def _on_endpoints(scope: SidecarScope, namespace: str, name: str) -> bool:
    # D2: the endpoints of a union service.
    return any(_names_service(s, namespace, name) for s in scope.services)


def _on_service(scope: SidecarScope, namespace: str, name: str) -> bool:
    return _on_endpoints(scope, namespace, name) or any(
        # An ExternalName aliasing an imported service changes that service's names (5.4).
        a.namespace == namespace and name in {a.hostname, a.hostname.split(".", 1)[0]}
        for s in scope.services
        for a in s.aliases
    )


def _on_virtual_service(scope: SidecarScope, namespace: str, name: str) -> bool:
    # D2: the VirtualServices the egress listeners selected; istiod merges a delegate into
    # its root (4.3.5) and reports the delegate's change as its root's.
    key = (namespace, name)
    return any(
        (v.namespace, v.name) == key or key in _delegates_of(v)
        for e in scope.egress
        for v in e.virtual_services
    )


def _delegates_of(vs: VirtualServiceInfo) -> Iterator[tuple[str, str]]:
    """The (namespace, name) of each VirtualService a route of ``vs`` delegates to (4.3.5)."""
    for route in vs.resource.spec.http:
        delegate = route.delegate
        if delegate is not None and delegate.name:
            yield delegate.namespace or vs.namespace, delegate.name


def _on_destination_rule(scope: SidecarScope, namespace: str, name: str) -> bool:
    # D2: every DestinationRule merged into a rule of a union service (5.9).
    return any(
        (r.namespace, r.name) == (namespace, name)
        for s in scope.services
        for merged in scope.destination_rules(s.hostname)
        for r in merged.rules
    )


def _on_peer_authentication(scope: SidecarScope, namespace: str, _name: str) -> bool:
    # D2, 5.0 step 4: the root namespace, the config namespace, and union services' namespaces.
    return namespace in {scope.mesh.config.root_namespace, scope.namespace} or any(
        s.namespace == namespace for s in scope.services
    )


#: D2: kinds that matter only when the scope recorded them (the full list).
_RECORDED: Final[dict[str, Callable[[SidecarScope, str, str], bool]]] = {
    "Sidecar": _on_sidecar,
    "Service": _on_service,
    "ServiceEntry": _on_service,
    "Endpoints": _on_endpoints,
    "VirtualService": _on_virtual_service,
    "DestinationRule": _on_destination_rule,
    "PeerAuthentication": _on_peer_authentication,
}


def _dr_pool(policy: FrozenDict[str, Any], port: int) -> Any:  # noqa: ANN401 - verbatim data
    for settings in policy.get("portLevelSettings") or ():
        number = (settings.get("port") or {}).get("number")
        if number == port:
            return settings.get("connectionPool")  # 6.8 level 3: replaces the whole policy
    return policy.get("connectionPool")


def _workload_service_ports(
    mesh: Mesh, workload: Workload
) -> Iterator[tuple[MeshService, ServicePort, int]]:
    """The workload's service targets: (service, port, the workload port it is delivered to).

    The services are the workload's own (selector match in its namespace), oldest first.
    §4.2.6: the target port is resolved against this workload's own pod spec, so pods of
    one Service may differ; a port the pod has no target for is left out.
    """
    spec = None if workload.source is None else pod_spec_of(workload.source)
    for service in mesh.services_by_namespace.get(workload.namespace, ()):
        selector = service.selector
        if selector and _labels_match(selector, workload.labels):
            for port in service.ports:
                target = pod_target_port(spec, service, port)  # 4.2.6
                if target is not None:
                    yield service, port, target


def compute_scope(mesh: Mesh, workload: Workload) -> SidecarScope:
    """The scope istiod computes for ``workload``'s proxy (§3, §5.0).

    Scopes are cached per (Sidecar, config namespace), so workloads that share a Sidecar
    and namespace share the work.
    """
    position, origin = _select_position(mesh, workload)
    gateway = origin is SelectionOrigin.GATEWAY_DEFAULT
    core = _core(mesh, position, workload.namespace, gateway)
    return SidecarScope(
        workload=workload, sidecar=core.sidecar, origin=origin, mesh=mesh, core=core
    )


def scope_of_sidecar(mesh: Mesh, sidecar: Resource[Sidecar], namespace: str) -> SidecarScope:
    """The scope ``sidecar`` of ``mesh`` gives a proxy in ``namespace`` (§3.8, §5.0).

    For checks of a Sidecar itself (analysis): the workload stands for any its selector
    picks, named after the Sidecar; the scope is the one :func:`compute_scope` caches.
    """
    selector = sidecar.spec.workload_selector
    labels = {} if selector is None else selector.labels
    workload = Workload(namespace=namespace, labels=labels, name=f"<{sidecar.name}>")
    if selector is not None:
        origin = SelectionOrigin.WORKLOAD_SELECTOR
    elif sidecar == mesh.root_default_sidecar:
        origin = SelectionOrigin.ROOT_DEFAULT
    else:
        origin = SelectionOrigin.NAMESPACE_DEFAULT
    core = _core(mesh, mesh.sidecars.index(sidecar), namespace, False)  # noqa: FBT003
    return SidecarScope(workload=workload, sidecar=sidecar, origin=origin, mesh=mesh, core=core)
