"""Resolve a mesh the way istiod does: selection, visibility, scopes, listeners, explanations.

Every function takes a :class:`~sidecar_model.Mesh` (and a workload or a scope) and returns
frozen result values with a prose ``__str__``, a ``_repr_html_`` for notebooks and a
JSON-ready ``to_dict()``. Rule numbers in comments refer to
``istio-sidecar-semantics.md``.

Scopes are computed once per (Sidecar, config namespace) and cached on the mesh (§3.9): the
workloads of a mesh share a few distinct scopes. Candidate services and VirtualServices for
an egress listener are found through the mesh's indexes; the import decision applied to them
is the one istiod applies to every visible service, so the result is the same as a full scan.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model._collections import FrozenDict
from sidecar_model._results import Result, gc_paused, resource_name
from sidecar_model.hosts import is_wildcard, matches, parse_egress_host, subset_of
from sidecar_model.mesh import (
    ALIAS_RESOLUTION,
    MESH_GATEWAY,
    WILDCARD_ADDRESS,
    DestinationRuleInfo,
    HostIndex,
    Mesh,
    MeshOutboundMode,
    MeshService,
    ProxyType,
    Registry,
    ServiceAlias,
    VirtualServiceInfo,
    Workload,
    dot_suffixes,
    is_ip,
)
from sidecar_model.model import (
    CaptureMode,
    ConnectionPoolSettings,
    IstioEgressListener,
    IstioIngressListener,
    OutboundTrafficPolicy,
    OutboundTrafficPolicyMode,
    Protocol,
    Sidecar,
)
from sidecar_model.resources import Resource, VirtualServiceSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

__all__ = [
    "Candidate",
    "EgressScope",
    "HostExplanation",
    "InboundListener",
    "InboundPool",
    "MergedDestinationRule",
    "OutboundListener",
    "OutboundRoute",
    "SelectionOrigin",
    "SidecarScope",
    "SidecarSelection",
    "compute_scope",
    "destination_rules_for",
    "explain_host",
    "inbound_listeners",
    "is_service_visible",
    "outbound_listeners",
    "outbound_routes",
    "select_sidecar",
    "services_visible_to",
    "virtual_services_visible_to",
]

LOOPBACK: Final = "127.0.0.1"
#: Envoy status and Prometheus ports, which no wildcard listener may take (L3, §6.4).
RESERVED_PORTS: Final = frozenset({15021, 15090})
DEFAULT_PROXY_LISTEN_PORT: Final = 15001
DEFAULT_PROXY_INBOUND_LISTEN_PORT: Final = 15006
PRIVILEGED_PORTS: Final = range(1, 1024)
#: The one port whose routes carry every VirtualService of the listener (R3).
HTTP_PORT: Final = 80
_IMPLICIT_EGRESS: Final = IstioEgressListener(hosts=("*/*",))
#: How many union hostnames a scope's prose names before "...".
_SHOWN: Final = 20


def _repr_name(resource: Resource[Any] | None) -> str:
    return repr(resource_name(resource))


# =========================================================================== selection (§3)


class SelectionOrigin(enum.Enum):
    """Why a scope applies to a workload (§3.4, §3.6)."""

    WORKLOAD_SELECTOR = "workload selector"
    NAMESPACE_DEFAULT = "namespace default"
    ROOT_DEFAULT = "root namespace default"
    IMPLICIT_DEFAULT = "implicit default"
    GATEWAY_DEFAULT = "gateway default"


@attrs.frozen(kw_only=True)
class Candidate(Result):
    """One Sidecar considered for a workload, and why it won or lost."""

    sidecar: Resource[Sidecar] = attrs.field(repr=_repr_name)
    chosen: bool
    reason: str

    def __str__(self) -> str:
        """``prod/default: lost: ...``."""
        return (
            f"{resource_name(self.sidecar)}: {'chosen' if self.chosen else 'lost'}: {self.reason}"
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"sidecar": "ns/name", "chosen": ..., "reason": ...}``."""
        return {
            "sidecar": resource_name(self.sidecar),
            "chosen": self.chosen,
            "reason": self.reason,
        }


@attrs.frozen(kw_only=True)
class SidecarSelection(Result):
    """Which Sidecar applies to a workload (None for an implicit or gateway default)."""

    workload: Workload
    sidecar: Resource[Sidecar] | None = attrs.field(repr=_repr_name)
    origin: SelectionOrigin
    namespace: str
    candidates: tuple[Candidate, ...] = ()

    def __str__(self) -> str:
        """Prose: the choice, then every candidate."""
        head = f"workload {self.workload}: "
        if self.sidecar is None:
            head += f"no Sidecar applies; the {self.origin.value} scope is used"
        else:
            head += f"Sidecar {resource_name(self.sidecar)} applies ({self.origin.value})"
        return "\n".join([head, *(f"  - {c}" for c in self.candidates)])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "workload": str(self.workload),
            "sidecar": resource_name(self.sidecar),
            "origin": self.origin.name,
            "namespace": self.namespace,
            "candidates": [c.to_dict() for c in self.candidates],
        }


def _selector_matches(sidecar: Resource[Sidecar], labels: Mapping[str, str]) -> bool:
    selector = sidecar.spec.workload_selector
    assert selector is not None  # noqa: S101 - callers check
    return _labels_match(selector.labels, labels)


def _labels_match(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Every (key, value) of ``selector`` is in ``labels`` (an empty selector matches all)."""
    return selector.items() <= labels.items()


def _select(mesh: Mesh, workload: Workload) -> tuple[Resource[Sidecar] | None, SelectionOrigin]:
    """The fast path of :func:`select_sidecar`, without explanations."""
    if workload.proxy_type is not ProxyType.SIDECAR:
        return None, SelectionOrigin.GATEWAY_DEFAULT  # 3.6
    for sidecar in mesh.sidecars_by_namespace.get(workload.namespace, ()):
        if sidecar.spec.workload_selector is None:
            return sidecar, _namespace_origin(mesh, workload.namespace)
        if _selector_matches(sidecar, workload.labels):
            return sidecar, SelectionOrigin.WORKLOAD_SELECTOR
    root = mesh.root_default_sidecar
    if root is not None:
        return root, SelectionOrigin.ROOT_DEFAULT  # 3.4 step 2
    return None, SelectionOrigin.IMPLICIT_DEFAULT  # 3.4 step 3


def _namespace_origin(mesh: Mesh, namespace: str) -> SelectionOrigin:
    if namespace == mesh.config.root_namespace:
        return SelectionOrigin.ROOT_DEFAULT
    return SelectionOrigin.NAMESPACE_DEFAULT


def select_sidecar(mesh: Mesh, workload: Workload) -> SidecarSelection:
    """Which Sidecar istiod applies to ``workload``, and why every other candidate lost (§3)."""
    sidecar, origin = _select(mesh, workload)
    own = mesh.sidecars_by_namespace.get(workload.namespace, ())
    root = mesh.root_default_sidecar
    considered = list(own)
    if root is not None and root not in own:
        considered.append(root)
    candidates = tuple(_candidate(workload, s, sidecar) for s in considered)
    return SidecarSelection(
        workload=workload,
        sidecar=sidecar,
        origin=origin,
        namespace=workload.namespace,
        candidates=candidates,
    )


def _candidate(
    workload: Workload, sidecar: Resource[Sidecar], chosen: Resource[Sidecar] | None
) -> Candidate:
    selector = sidecar.spec.workload_selector
    if workload.proxy_type is not ProxyType.SIDECAR:
        reason = f"a {workload.proxy_type.value} proxy never uses Sidecar resources (3.6)"
        return Candidate(sidecar=sidecar, chosen=False, reason=reason)
    if sidecar is chosen:
        if sidecar.namespace != workload.namespace:
            reason = (
                "the oldest selector-less Sidecar of the root namespace, applied as if it "
                f"lived in {workload.namespace} because no Sidecar there matched (3.3, 3.8)"
            )
        elif selector is not None:
            reason = "the first matching selector Sidecar in istiod's order (3.2, 3.4)"
        else:
            reason = "the namespace's oldest selector-less Sidecar, and no selector Sidecar matched"
        return Candidate(sidecar=sidecar, chosen=True, reason=reason)
    if sidecar.namespace != workload.namespace:
        reason = "a Sidecar of the workload's own namespace applies first (3.4)"
    elif selector is not None and not _selector_matches(sidecar, workload.labels):
        wanted = ", ".join(f"{k}={v}" for k, v in selector.labels.items())
        reason = f"its selector ({wanted}) does not match the workload's labels"
    else:
        reason = (
            f"{resource_name(chosen)} comes first: selector Sidecars precede selector-less ones, "
            "then older first, then by name (3.2)"
        )
    return Candidate(sidecar=sidecar, chosen=False, reason=reason)


# =========================================================================== visibility (§4)


def is_service_visible(mesh: Mesh, service: MeshService, namespace: str) -> bool:
    """Whether ``service`` is visible to proxies in ``namespace`` (§4.2.2, §4.2.3)."""
    return mesh.service_visible(service, namespace)


def services_visible_to(mesh: Mesh, namespace: str) -> tuple[MeshService, ...]:
    """Services listed for ``namespace`` in istiod's order: its bucket, then public (§4.2.4)."""
    public, buckets = mesh.export_buckets
    return buckets.get(namespace, ()) + public


def virtual_services_visible_to(
    mesh: Mesh, namespace: str, gateway: str = MESH_GATEWAY
) -> tuple[Resource[VirtualServiceSpec], ...]:
    """VirtualServices a proxy in ``namespace`` sees for ``gateway``, in istiod's order (§4.3.3).

    Private ones (of ``namespace``, exported to it) first, then those other namespaces
    export to it, then public ones; oldest first within each. Delegates are never listed.
    """
    return tuple(vs.resource for vs in _visible_virtual_services(mesh, namespace, gateway))


def _visible_virtual_services(
    mesh: Mesh, namespace: str, gateway: str = MESH_GATEWAY
) -> tuple[VirtualServiceInfo, ...]:
    public, private, exported = mesh.vs_for_gateway.get(gateway, ((), {}, {}))
    seen: set[int] = set()
    result = []
    for vs in (*private.get(namespace, ()), *exported.get(namespace, ()), *public):
        if id(vs) not in seen:
            seen.add(id(vs))
            result.append(vs)
    return tuple(result)


# --------------------------------------------------------------------------- DestinationRules


@attrs.frozen(kw_only=True)
class MergedDestinationRule(Result):
    """A DestinationRule as istiod indexes it: one or more rules merged under one host (§4.4.3)."""

    host: str
    namespace: str
    export_to: frozenset[str]
    selector: FrozenDict[str, str] | None
    subsets: tuple[str, ...]
    traffic_policy: FrozenDict[str, Any] | None
    rules: tuple[DestinationRuleInfo, ...]

    def __str__(self) -> str:
        """``DestinationRule for reviews... in prod (merged from prod/a, prod/b)``."""
        names = ", ".join(f"{r.namespace}/{r.name}" for r in self.rules)
        return f"DestinationRule for {self.host} in {self.namespace} (from {names})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "host": self.host,
            "namespace": self.namespace,
            "exportTo": sorted(self.export_to),
            "selector": None if self.selector is None else dict(self.selector),
            "subsets": list(self.subsets),
            "rules": [f"{r.namespace}/{r.name}" for r in self.rules],
        }


@attrs.define
class _DrEntry:
    first: DestinationRuleInfo
    subsets: list[str]
    traffic_policy: FrozenDict[str, Any] | None
    rules: list[DestinationRuleInfo]

    def freeze(self) -> MergedDestinationRule:
        return MergedDestinationRule(
            host=self.first.host,
            namespace=self.first.namespace,
            export_to=self.first.export_to,
            selector=self.first.selector,
            subsets=tuple(self.subsets),
            traffic_policy=self.traffic_policy,
            rules=tuple(self.rules),
        )


class _DrPool:
    """One of istiod's DR pools: merged entries per exact host string (§4.4.3)."""

    def __init__(self, enhanced: bool) -> None:  # noqa: FBT001 - private
        self.enhanced = enhanced
        self.entries: dict[str, list[_DrEntry]] = {}

    def add(self, dr: DestinationRuleInfo) -> None:
        existing = self.entries.get(dr.host)
        if existing is None:
            self.entries[dr.host] = [_DrEntry(dr, list(dr.subsets), dr.traffic_policy, [dr])]
            return
        separate = True
        for entry in existing:
            old = entry.first
            if self.enhanced:  # 4.4.3 a
                if old.export_to == dr.export_to:
                    separate = False
                elif not (old.export_to and dr.export_to >= old.export_to):
                    separate = True
                    continue
                else:
                    separate = True
            both = old.selector is not None and dr.selector is not None
            if both and old.selector != dr.selector:  # 4.4.3 b
                separate = True
                continue
            if (old.selector is None and dr.selector is None) or both:  # 4.4.3 c
                separate = False
            # 4.4.3 d: merge; existing subsets and policy win.
            entry.subsets.extend(s for s in dr.subsets if s not in entry.subsets)
            if entry.traffic_policy is None:
                entry.traffic_policy = dr.traffic_policy
            entry.rules.append(dr)
        if separate:
            existing.append(_DrEntry(dr, list(dr.subsets), dr.traffic_policy, [dr]))

    def frozen(self) -> tuple[dict[str, tuple[MergedDestinationRule, ...]], HostIndex]:
        table = {host: tuple(e.freeze() for e in entries) for host, entries in self.entries.items()}
        return table, HostIndex(table)


@attrs.frozen
class _DrPools:
    local: dict[str, tuple[dict[str, tuple[MergedDestinationRule, ...]], HostIndex]]
    exported: dict[str, tuple[dict[str, tuple[MergedDestinationRule, ...]], HostIndex]]
    root_private: tuple[dict[str, tuple[MergedDestinationRule, ...]], HostIndex]


def _dr_pools(mesh: Mesh) -> _DrPools:
    cached = mesh.__dict__.get("_dr_pools")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    enhanced = mesh.config.enhanced_destination_rule_merge
    default_private = "." in mesh.config.default_destination_rule_export_to
    root = mesh.config.root_namespace
    local: dict[str, _DrPool] = {}
    exported: dict[str, _DrPool] = {}
    root_private = _DrPool(enhanced)
    for dr in mesh.destination_rules:  # already in 4.4.1 order
        d = dr.namespace
        export = dr.export_to
        if not export or export & {"*", ".", d}:
            local.setdefault(d, _DrPool(enhanced)).add(dr)
        private_only = (not export and default_private) or (
            len(export) == 1 and next(iter(export)) in {".", d}
        )
        if not private_only:
            exported.setdefault(d, _DrPool(enhanced)).add(dr)
        elif d == root:
            root_private.add(dr)
    pools = _DrPools(
        {ns: p.frozen() for ns, p in local.items()},
        {ns: p.frozen() for ns, p in exported.items()},
        root_private.frozen(),
    )
    mesh.__dict__["_dr_pools"] = pools
    return pools


def destination_rules_for(
    mesh: Mesh, namespace: str, hostname: str, service_namespace: str
) -> tuple[MergedDestinationRule, ...]:
    """The merged DestinationRules a proxy in ``namespace`` uses for a service (§4.4.4)."""
    pools = _dr_pools(mesh)
    root = mesh.config.root_namespace
    first = pools.root_private if namespace == root else pools.local.get(namespace)
    if first is not None:
        found = _dr_match(first, hostname)
        if found:
            return found
    for source in (service_namespace, root):
        pool = pools.exported.get(source)
        if pool is None:
            continue
        found = tuple(
            e
            for e in _dr_match(pool, hostname)
            if not e.export_to or e.export_to & {"*", namespace}
        )
        if found:
            return found  # 8.30: the first step with a match wins
    return ()


def _dr_match(
    pool: tuple[dict[str, tuple[MergedDestinationRule, ...]], HostIndex], hostname: str
) -> tuple[MergedDestinationRule, ...]:
    table, index = pool
    key = index.lookup(hostname)
    return () if key is None else table[key]


def _dr_for_proxy(
    rules: tuple[MergedDestinationRule, ...], namespace: str, labels: Mapping[str, str]
) -> MergedDestinationRule | None:
    # 4.4.5: first matching selector DR of the proxy's namespace, else the last selector-less.
    for rule in rules:
        if (
            rule.selector is not None
            and rule.namespace == namespace
            and _labels_match(rule.selector, labels)
        ):
            return rule
    plain = [r for r in rules if r.selector is None]
    return plain[-1] if plain else None


# =========================================================================== scopes (§5)


@attrs.frozen
class _HostClass:
    """The classification of one namespace key of an egress listener (§5.2 step 5)."""

    exact: frozenset[str]
    all: tuple[str, ...]
    excluded: tuple[str, ...]
    #: ``*`` is among the inclusions: every name is included (a fast path, same result).
    everything: bool = attrs.field(init=False, default=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "everything", "*" in self.all)

    def includes(self, host: str) -> bool:
        if self.everything or host in self.exact:
            return True
        wild = is_wildcard(host)
        return any((wild or is_wildcard(e)) and subset_of(host, e) for e in self.all)

    def excludes(self, host: str) -> bool:
        return bool(self.excluded) and any(subset_of(host, x) for x in self.excluded)

    def vs_matches(self, host: str) -> bool:
        if host in self.exact:
            return True
        wild = is_wildcard(host)
        return any((wild or is_wildcard(e)) and matches(host, e) for e in self.all)


def _classify(hosts: Iterable[str], namespace: str) -> tuple[dict[str, _HostClass], bool]:
    """Parse a listener's hosts into per-namespace classifications, and ``allExact`` (§5.2)."""
    raw: dict[str, tuple[set[str], list[str], list[str]]] = {}
    all_exact = True
    for text in hosts:
        entry = parse_egress_host(text)
        if entry is None:
            continue  # 5.2 step 1
        key = namespace if entry.namespace == "." else entry.namespace  # 5.2 step 4
        exact, every, excluded = raw.setdefault(key, (set(), [], []))
        if entry.excluded:
            excluded.append(entry.dns_name)
            continue
        every.append(entry.dns_name)
        if is_wildcard(entry.dns_name):
            all_exact = False
        else:
            exact.add(entry.dns_name)
        if key == "*":
            all_exact = False  # 5.2 step 6
    classes = {k: _HostClass(frozenset(e), tuple(a), tuple(x)) for k, (e, a, x) in raw.items()}
    return classes, all_exact


def _needs_port_match(listener: IstioEgressListener) -> bool:
    # 5.4 step 4; 5.15: HTTP_PROXY and UDS (port 0) listeners keep every port.
    port = listener.port
    return (
        port is not None and bool(port.number) and port.parsed_protocol is not Protocol.HTTP_PROXY
    )


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


@attrs.frozen(kw_only=True, eq=False)
class _Core:
    """What istiod computes per (Sidecar, config namespace): shared by many workloads."""

    mesh: Mesh
    sidecar: Resource[Sidecar] | None
    namespace: str
    gateway: bool
    egress: tuple[EgressScope, ...]
    services: tuple[MeshService, ...]
    service_by_host: dict[str, MeshService]
    dr_cache: dict[str, tuple[MergedDestinationRule, ...]] = attrs.field(factory=dict)
    listener_cache: dict[tuple[bool, bool, str | None, str], tuple[OutboundListener, ...]] = (
        attrs.field(factory=dict)
    )
    #: Endpoint addresses of passthrough services, computed on first need (L5).
    endpoint_ips: frozenset[str] | None = None
    #: Service addresses and binds of the egress listeners, computed on first need (L5).
    own_addresses: frozenset[str] | None = None
    #: What the outbound listeners depend on, computed on first need (see _signature).
    signature: tuple[Any, ...] | None = None

    #: Whether some egress listener binds a real socket whatever the proxy (L1).
    binds_sockets: bool = attrs.field(init=False, default=False)

    def __attrs_post_init__(self) -> None:
        binds = any(
            e.listener.capture_mode is CaptureMode.NONE
            or (e.listener.bind or "").startswith("unix://")
            for e in self.egress
        )
        object.__setattr__(self, "binds_sockets", binds)


def _scope_cache(mesh: Mesh) -> dict[tuple[int, str, bool], _Core]:
    cache = mesh.__dict__.get("_scope_cache")
    if cache is None:
        cache = mesh.__dict__["_scope_cache"] = {}
    return cache


def _core(mesh: Mesh, sidecar: Resource[Sidecar] | None, namespace: str, gateway: bool) -> _Core:  # noqa: FBT001
    key = (id(sidecar), namespace, gateway)
    cache = _scope_cache(mesh)
    core = cache.get(key)
    if core is None:
        # Bulk allocation of objects that all survive: keep the cyclic collector out of it.
        with gc_paused():
            core = cache[key] = _build_core(mesh, sidecar, namespace, gateway=gateway)
    return core


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
        return _Core(
            mesh=mesh,
            sidecar=None,
            namespace=namespace,
            gateway=True,
            egress=egress,
            services=tuple(union.by_host.values()),
            service_by_host=union.by_host,
        )
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
    return _Core(
        mesh=mesh,
        sidecar=sidecar,
        namespace=namespace,
        gateway=False,
        egress=tuple(egress_list),
        services=tuple(union.by_host.values()),
        service_by_host=union.by_host,
    )


# --------------------------------------------------------------------------- 5.3 / 5.4 / 5.5


def _import_services(
    mesh: Mesh,
    listener: IstioEgressListener,
    classes: dict[str, _HostClass],
    all_exact: bool,  # noqa: FBT001
    namespace: str,
) -> tuple[MeshService, ...]:
    candidates: Iterable[MeshService]
    if all_exact:
        candidates = _exact_candidates(mesh, classes, namespace)
    else:
        candidates = _indexed_candidates(mesh, classes, namespace)
    port = listener.port.number if _needs_port_match(listener) and listener.port else None
    star = classes.get("*")
    if (
        port is None
        and star is not None
        and star.everything
        and not any(cls.excluded for cls in classes.values())
    ):
        # '*/*' without exclusions: 5.4 includes every candidate, so skip the per-service test.
        chosen = list(candidates)
        if mesh.has_aliases:
            chosen = [
                _alias_trimmed(mesh, s, classes.get(s.namespace), star) if s.aliases else s
                for s in chosen
            ]
        return _one_namespace_per_host(mesh, chosen, namespace)
    imported = []
    numbers = (port,) if port is not None else ()
    trims: dict[tuple[int, tuple[int, ...]], MeshService | None] = mesh.__dict__.setdefault(
        "_trim_cache", {}
    )
    for service in candidates:
        host = service.hostname
        own = classes.get(service.namespace)
        # 5.4 step 1: exclusions first, whatever the order of the entries.
        if (own is not None and own.excludes(host)) or (star is not None and star.excludes(host)):
            continue
        # 5.4 steps 2-3: the service's namespace key, else the '*' key.
        if not (
            (own is not None and own.includes(host)) or (star is not None and star.includes(host))
        ):
            continue
        if port is not None:
            trim_key = (id(service), numbers)
            trimmed = trims[trim_key] if trim_key in trims else _trimmed(mesh, service, numbers)
            if trimmed is None:
                continue  # 5.4 step 4: no service port with the listener's number
            service = trimmed  # noqa: PLW2901
        if service.aliases:
            service = _alias_trimmed(mesh, service, own, star)  # noqa: PLW2901
        imported.append(service)
    return _one_namespace_per_host(mesh, imported, namespace)


def _alias_trimmed(
    mesh: Mesh, service: MeshService, own: _HostClass | None, star: _HostClass | None
) -> MeshService:
    """5.4 step 5: keep the aliases included by the key that imported ``service``.

    That key is the service namespace's when it includes the hostname (step 2), else
    ``*`` (step 3); exclusions do not apply to aliases (istiod's ``matchingAliasService``).
    """
    key = own if own is not None and own.includes(service.hostname) else star
    if key is None:
        return service
    kept = tuple(a for a in service.aliases if key.includes(a.hostname))
    if len(kept) == len(service.aliases):
        return service
    cache: dict[tuple[int, tuple[ServiceAlias, ...]], MeshService] = mesh.__dict__.setdefault(
        "_alias_cache", {}
    )
    found = cache.get((id(service), kept))
    if found is None:
        found = cache[id(service), kept] = attrs.evolve(service, aliases=kept)
    return found


def _exact_candidates(
    mesh: Mesh, classes: dict[str, _HostClass], namespace: str
) -> list[MeshService]:
    # 5.3 fast path: (host, namespace) lookups, visible by the predicate, creation order.
    found: dict[int, MeshService] = {}
    index = mesh.service_by_host_and_namespace
    for key, cls in classes.items():
        for host in cls.exact:
            service = index.get((host, key))
            if service is not None and mesh.service_visible(service, namespace):
                found[id(service)] = service
    order = mesh.service_order
    return sorted(found.values(), key=lambda s: order[id(s)])


def _indexed_candidates(
    mesh: Mesh, classes: dict[str, _HostClass], namespace: str
) -> Iterable[MeshService]:
    """A superset of the visible services a listener can import, in visibility order (§5.3).

    istiod scans every service visible to the namespace; the services no key can include
    are found by index lookups instead, and the import decision (5.4) does the rest.
    """
    star = classes.get("*")
    if star is not None and any(_needs_scan(e) for e in star.all):
        return services_visible_to(mesh, namespace)
    found: dict[int, MeshService] = {}
    for key, cls in classes.items():
        in_namespace = None if key == "*" else key
        if in_namespace is not None and any(_needs_scan(e) for e in cls.all):
            for service in mesh.services_by_namespace.get(key, ()):
                found[id(service)] = service
            continue
        for host in cls.all:
            pool = (
                mesh.services_by_suffix.get(host[1:], ())
                if is_wildcard(host)
                else mesh.services_by_hostname.get(host, ())
            )
            for service in pool:
                if in_namespace is None or service.namespace == in_namespace:
                    found[id(service)] = service
    # 4.2.4: keep what the visibility index lists for the namespace, in its order (the
    # namespace's bucket first, then the public list, each in creation order).
    public = mesh.public_ids
    bucket = mesh.bucket_ids.get(namespace, frozenset())
    order = mesh.service_order
    ranked = [
        (0 if key in bucket else 1, order[key], service)
        for key, service in found.items()
        if key in bucket or key in public
    ]
    ranked.sort(key=lambda item: item[:2])
    return [service for _, _, service in ranked]


def _needs_scan(entry: str) -> bool:
    # '*' covers everything; a partial wildcard ('*foo.com') is not label-aligned.
    return entry == "*" or (is_wildcard(entry) and entry[1:2] != ".")


def _trimmed(mesh: Mesh, service: MeshService, numbers: tuple[int, ...]) -> MeshService | None:
    """``service`` keeping only the given port numbers, shared between scopes; None if none."""
    cache: dict[tuple[int, tuple[int, ...]], MeshService | None] = mesh.__dict__.setdefault(
        "_trim_cache", {}
    )
    key = (id(service), numbers)
    if key in cache:
        return cache[key]
    ports = tuple(p for p in service.ports if p.number in numbers)
    result = None
    if ports:
        result = service if ports == service.ports else attrs.evolve(service, ports=ports)
    cache[key] = result
    return result


def _one_namespace_per_host(
    mesh: Mesh, imported: list[MeshService], namespace: str
) -> tuple[MeshService, ...]:
    """5.5: keep, per hostname, only the services of one chosen namespace."""
    chosen: dict[str, MeshService] = {}
    unified = mesh.config.unified_sidecar_scope
    duplicated = False
    for service in imported:
        current = chosen.get(service.hostname)
        if current is None:
            chosen[service.hostname] = service
            continue
        duplicated = True
        if service.namespace == namespace or (
            unified
            and service.registry is Registry.KUBERNETES
            and current.registry is not Registry.KUBERNETES
            and current.namespace != namespace
        ):
            chosen[service.hostname] = service
    if not duplicated:
        return tuple(imported)
    return tuple(s for s in imported if chosen[s.hostname].namespace == s.namespace)


# --------------------------------------------------------------------------- 5.6 VirtualServices


def _select_virtual_services(
    mesh: Mesh, classes: dict[str, _HostClass], namespace: str
) -> tuple[VirtualServiceInfo, ...]:
    star = classes.get("*")
    selected = []
    for vs in _vs_candidates(mesh, classes, namespace):
        own = classes.get(vs.namespace)  # 5.6: keyed by the VS's own namespace (E4)
        if _vs_imported(vs, own, star):
            selected.append(vs)
    return tuple(selected)


def _vs_imported(vs: VirtualServiceInfo, own: _HostClass | None, star: _HostClass | None) -> bool:
    for cls in (own, star):
        if cls is None:
            continue
        for host in vs.hosts:
            if (
                cls.vs_matches(host)
                and not (own is not None and own.excludes(host))
                and not (star is not None and star.excludes(host))
            ):
                return True
    return False


def _vs_candidates(
    mesh: Mesh, classes: dict[str, _HostClass], namespace: str
) -> Iterable[VirtualServiceInfo]:
    """A superset of the VSs a listener can select, in istiod's order (4.3.3), by lookups."""
    star = classes.get("*")
    if star is not None and any(_needs_scan(e) for e in star.all):
        return _visible_vs_cached(mesh, namespace)
    wanted: dict[int, VirtualServiceInfo] = {}
    by_namespace = _vs_by_namespace(mesh)
    for name in classes:
        if name != "*":
            wanted.update((id(v), v) for v in by_namespace.get(name, ()))
    if star is not None:
        by_host, by_suffix = _vs_host_indexes(mesh)
        for entry in star.all:
            wanted.update((id(v), v) for v in _vs_matching(entry, by_host, by_suffix))
    if not wanted:
        return ()
    public, private, exported = _vs_rank_sets(mesh, namespace)
    order = mesh.vs_order
    ranked = []
    for key, vs in wanted.items():
        bucket = 0 if key in private else 1 if key in exported else 2 if key in public else -1
        if bucket >= 0:
            ranked.append((bucket, order[key], vs))
    ranked.sort(key=lambda item: item[:2])
    return [vs for _, _, vs in ranked]


def _visible_vs_cached(mesh: Mesh, namespace: str) -> tuple[VirtualServiceInfo, ...]:
    cache: dict[str, tuple[VirtualServiceInfo, ...]] = mesh.__dict__.setdefault("_vs_visible", {})
    found = cache.get(namespace)
    if found is None:
        found = cache[namespace] = _visible_virtual_services(mesh, namespace)
    return found


def _vs_rank_sets(
    mesh: Mesh, namespace: str
) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """``id`` sets of the public, private(namespace) and exported(namespace) mesh VSs."""
    cached = mesh.__dict__.get("_vs_rank_sets")
    if cached is None:
        public, private, exported = mesh.vs_for_gateway.get(MESH_GATEWAY, ((), {}, {}))
        cached = mesh.__dict__["_vs_rank_sets"] = (
            frozenset(map(id, public)),
            {ns: frozenset(map(id, v)) for ns, v in private.items()},
            {ns: frozenset(map(id, v)) for ns, v in exported.items()},
        )
    public_ids, private_ids, exported_ids = cached
    empty: frozenset[int] = frozenset()
    return public_ids, private_ids.get(namespace, empty), exported_ids.get(namespace, empty)


def _vs_matching(
    entry: str,
    by_host: dict[str, list[VirtualServiceInfo]],
    by_suffix: dict[str, list[VirtualServiceInfo]],
) -> Iterator[VirtualServiceInfo]:
    """VSs with a host that may match ``entry`` (both ways, §5.1.3), found by lookups."""
    yield from by_host.get(entry, ())
    yield from by_host.get("*", ())
    for suffix in dot_suffixes(entry):
        yield from by_host.get("*" + suffix, ())  # wildcard VS hosts covering the entry
    if is_wildcard(entry):
        yield from by_suffix.get(entry[1:], ())  # VS hosts the wildcard entry covers


def _vs_by_namespace(mesh: Mesh) -> dict[str, list[VirtualServiceInfo]]:
    cached = mesh.__dict__.get("_vs_by_namespace")
    if cached is None:
        cached = {}
        for vs in mesh.virtual_services:
            cached.setdefault(vs.namespace, []).append(vs)
        mesh.__dict__["_vs_by_namespace"] = cached
    return cached


def _vs_host_indexes(
    mesh: Mesh,
) -> tuple[dict[str, list[VirtualServiceInfo]], dict[str, list[VirtualServiceInfo]]]:
    cached = mesh.__dict__.get("_vs_host_indexes")
    if cached is None:
        by_host: dict[str, list[VirtualServiceInfo]] = {}
        by_suffix: dict[str, list[VirtualServiceInfo]] = {}
        for vs in mesh.virtual_services:
            for host in vs.hosts:
                by_host.setdefault(host, []).append(vs)
                for suffix in dot_suffixes(host):
                    by_suffix.setdefault(suffix, []).append(vs)
        cached = mesh.__dict__["_vs_host_indexes"] = (by_host, by_suffix)
    return cached


# --------------------------------------------------------------------------- 5.7 / 5.8


def _inferred_services(mesh: Mesh, scope: EgressScope, namespace: str) -> Iterator[MeshService]:
    """Services a listener's VirtualServices route to (§5.7); exclusions do not apply (8.9)."""
    listener_port = scope.listener.port
    port_match = (
        listener_port.number if _needs_port_match(scope.listener) and listener_port else None
    )
    cache: dict[tuple[int, str | None, int | None], tuple[MeshService, ...]] = (
        mesh.__dict__.setdefault("_inferred_cache", {})
    )
    for vs in scope.virtual_services:
        key = (id(vs), namespace, port_match)
        found = cache.get(key)
        if found is None:
            holders = _namespace_free(mesh, vs)
            if holders is not None and namespace not in holders:
                # The same answer for every namespace holding none of its destinations.
                shared = (id(vs), None, port_match)
                found = cache.get(shared)
                if found is None:
                    found = cache[shared] = tuple(_vs_destinations(mesh, vs, namespace, port_match))
            else:
                found = tuple(_vs_destinations(mesh, vs, namespace, port_match))
            cache[key] = found
        yield from found


def _namespace_free(mesh: Mesh, vs: VirtualServiceInfo) -> frozenset[str] | None:
    """The namespaces holding ``vs``'s destinations, if those alone make 5.7 namespace-bound.

    None when the answer may depend on the proxy namespace in other ways: a route
    restricted by source namespace (step 1), or a destination host some service declares
    without exporting it to every namespace (step 2's visibility). Otherwise a proxy in a
    namespace outside the returned set finds the same destination services as any other.
    """
    cache: dict[int, frozenset[str] | None] = mesh.__dict__.setdefault("_namespace_free", {})
    key = id(vs)
    if key in cache:
        return cache[key]
    result: frozenset[str] | None = None
    if not any(sources for sources, _ in vs.http_destinations):
        public = mesh.public_ids
        namespaces: set[str] = set()
        for host, _port in vs.destinations_for(vs.namespace):
            holders = mesh.services_by_hostname.get(host, ())
            if any(id(s) not in public for s in holders):
                break
            namespaces.update(s.namespace for s in holders)
        else:
            result = frozenset(namespaces)
    cache[key] = result
    return result


def _vs_destinations(
    mesh: Mesh, vs: VirtualServiceInfo, namespace: str, port_match: int | None
) -> Iterator[MeshService]:
    """5.7 steps 1 to 3 for one VirtualService."""
    for host, numbers in _destination_ports(mesh, vs, namespace, port_match):
        service = _destination_service(mesh, host, namespace)
        if service is not None:
            trimmed = service if numbers is None else _trimmed(mesh, service, numbers)
            if trimmed is not None:
                yield trimmed


def _destination_ports(
    mesh: Mesh, vs: VirtualServiceInfo, namespace: str, port_match: int | None
) -> tuple[tuple[str, tuple[int, ...] | None], ...]:
    """Each destination host of ``vs`` and the port numbers to keep (None: all) (5.7 step 3).

    Only routes restricted by source namespace make this depend on the namespace, so it is
    cached per VirtualService otherwise.
    """
    restricted = any(sources for sources, _ in vs.http_destinations)
    key = (id(vs), namespace if restricted else None, port_match)
    cache: dict[Any, tuple[tuple[str, tuple[int, ...] | None], ...]] = mesh.__dict__.setdefault(
        "_destination_ports", {}
    )
    found = cache.get(key)
    if found is None:
        wanted: dict[str, set[int]] = {}
        for host, port in vs.destinations_for(namespace):
            wanted.setdefault(host, set()).add(port)
        result: list[tuple[str, tuple[int, ...] | None]] = []
        for host, ports in wanted.items():
            if port_match is not None:
                result.append((host, (port_match,)))
            elif 0 in ports:
                result.append((host, None))  # a destination without a port keeps them all
            else:
                result.append((host, tuple(sorted(ports))))
        found = cache[key] = tuple(result)
    return found


def _destination_service(mesh: Mesh, host: str, namespace: str) -> MeshService | None:
    """The service a VS destination host resolves to for proxies in ``namespace`` (5.7 step 2)."""
    cache: dict[tuple[str, str], MeshService | None] = mesh.__dict__.setdefault("_dest_cache", {})
    key = (host, namespace)
    if key in cache:
        return cache[key]
    found = cache[key] = _find_destination_service(mesh, host, namespace)
    return found


def _find_destination_service(mesh: Mesh, host: str, namespace: str) -> MeshService | None:
    index = mesh.service_by_host_and_namespace
    own = index.get((host, namespace))
    if own is not None:
        return own  # 8.27: no visibility check in the proxy's own namespace
    holders = [s for s in _holders(mesh, host) if mesh.service_visible(s, namespace)]
    if not holders:
        return None
    if mesh.config.pick_best_service_namespace:
        for service in holders:
            if service.registry is Registry.KUBERNETES:
                return service  # 8.26: istiod's choice among several is map order
        return holders[0]  # holders are in creation order: the oldest
    return min(holders, key=lambda s: s.namespace)


def _holders(mesh: Mesh, host: str) -> tuple[MeshService, ...]:
    """One service per namespace declaring ``host`` (4.2.5), in creation order."""
    cache: dict[str, tuple[MeshService, ...]] = mesh.__dict__.setdefault("_holders", {})
    found = cache.get(host)
    if found is None:
        index = mesh.service_by_host_and_namespace
        found = cache[host] = tuple(
            s for s in mesh.services_by_hostname.get(host, ()) if s is index[host, s.namespace]
        )
    return found


class _Union:
    """The scope-wide service union (§5.8)."""

    __slots__ = ("by_host",)

    def __init__(self) -> None:
        self.by_host: dict[str, MeshService] = {}

    def append(self, service: MeshService) -> None:
        host = service.hostname
        existing = self.by_host.get(host)
        if existing is None or existing is service:  # rule 1
            if existing is None:
                self.by_host[host] = service
            return
        if existing.registry is Registry.KUBERNETES and service.registry is not Registry.KUBERNETES:
            return  # rule 2
        if existing.registry is not Registry.KUBERNETES and service.registry is Registry.KUBERNETES:
            self.by_host[host] = service  # rule 3
            return
        if existing.ports == service.ports:
            return  # rule 4
        if _mergeable(existing, service):  # rule 5
            numbers = {p.number for p in existing.ports}
            extra = tuple(p for p in service.ports if p.number not in numbers)
            if extra:
                self.by_host[host] = attrs.evolve(existing, ports=existing.ports + extra)
        # rule 6: otherwise the first wins


def _mergeable(a: MeshService, b: MeshService) -> bool:
    return (
        a.namespace == b.namespace
        and a.resolution == b.resolution
        and a.registry is b.registry
        and a.labels == b.labels
        and a.selector == b.selector
        and a.export_to == b.export_to
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
        from sidecar_model.codec import unstructure  # noqa: PLC0415 - codec is heavy; lazy

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
    _core: _Core = attrs.field(repr=False, alias="core")

    @property
    def mesh(self) -> Mesh:
        """The mesh this scope was computed in."""
        return self._core.mesh

    @property
    def selection(self) -> SidecarSelection:
        """Which Sidecar was chosen and why (computed on demand)."""
        return select_sidecar(self._core.mesh, self.workload)

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
        cached = core.dr_cache.get(hostname)
        if cached is None:
            service = core.service_by_host.get(hostname)
            cached = (
                ()
                if service is None
                else destination_rules_for(core.mesh, core.namespace, hostname, service.namespace)
            )
            core.dr_cache[hostname] = cached
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
        mode = self._core.mesh.config.outbound_mode
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
        mesh_mode = self._core.mesh.config.outbound_mode
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
        for service, service_port in _workload_service_ports(self._core.mesh, self.workload):
            if (service_port.target_port or service_port.number) != port:
                continue
            # 8.22: only through the scope's union, and only selector-less DRs.
            rules = self.destination_rules(service.hostname)
            plain = [r for r in rules if r.selector is None]
            if plain and plain[-1].traffic_policy is not None:
                pool = _dr_pool(plain[-1].traffic_policy, service_port.number)
                if pool is not None:
                    return InboundPool(port=port, source=f"DestinationRule {plain[-1]}", pool=pool)
            break
        default = self._core.mesh.config.default_traffic_policy
        if default is not None and default.get("connectionPool") is not None:
            return InboundPool(
                port=port, source="MeshConfig defaultTrafficPolicy", pool=default["connectionPool"]
            )
        return InboundPool(port=port, source="Envoy defaults", pool=None)

    def depends_on(self, kind: str, namespace: str, name: str) -> bool:
        """Whether a change to that object would change this scope.

        Like istiod's ``DependsOnConfig`` for the selected Sidecar, the imported services
        (``ServiceEntry`` or ``Service``, named by resource name or, as istiod keys them, by
        hostname), the selected VirtualServices, every DestinationRule merged into a rule
        the scope uses, and PeerAuthentication in the root namespace, the config namespace
        and the namespaces of imported services (5.0 step 4). Unlike istiod it also answers
        True for any Sidecar in the config or root namespace, which can change selection,
        and False for kinds that play no part in a scope (Pods, Namespaces, ...).
        """
        check = _DEPENDENCIES.get(kind)
        return check is not None and check(self, namespace, name)

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
            "workload": str(self.workload),
            "sidecar": resource_name(self.sidecar),
            "origin": self.origin.name,
            "namespace": self.namespace,
            "outboundMode": self.outbound_mode,
            "egress": [e.to_dict() for e in self.egress],
            "services": [_service_dict(s) for s in self.services],
        }


def _on_sidecar(scope: SidecarScope, namespace: str, name: str) -> bool:
    chosen = scope.sidecar
    if chosen is not None and (chosen.namespace, chosen.name) == (namespace, name):
        return True
    # A new or changed Sidecar here or in the root namespace can change selection.
    return namespace in {scope.namespace, scope.mesh.config.root_namespace}


def _on_service(scope: SidecarScope, namespace: str, name: str) -> bool:
    return any(
        s.namespace == namespace
        and (s.hostname == name or (s.source is not None and s.source.name == name))
        for s in scope.services
    ) or any(
        # An ExternalName aliasing an imported service changes that service's names (5.4).
        a.namespace == namespace and name in {a.hostname, a.hostname.split(".", 1)[0]}
        for s in scope.services
        for a in s.aliases
    )


def _on_virtual_service(scope: SidecarScope, namespace: str, name: str) -> bool:
    return any(
        (v.namespace, v.name) == (namespace, name) for e in scope.egress for v in e.virtual_services
    )


def _on_destination_rule(scope: SidecarScope, namespace: str, name: str) -> bool:
    return any(
        (r.namespace, r.name) == (namespace, name)
        for s in scope.services
        for merged in scope.destination_rules(s.hostname)
        for r in merged.rules
    )


def _on_peer_authentication(scope: SidecarScope, namespace: str, _name: str) -> bool:
    # 5.0 step 4: the root namespace, the config namespace, and imported services' namespaces.
    return namespace in {scope.mesh.config.root_namespace, scope.namespace} or any(
        s.namespace == namespace for s in scope.services
    )


_DEPENDENCIES: Final[dict[str, Callable[[SidecarScope, str, str], bool]]] = {
    "Sidecar": _on_sidecar,
    "Service": _on_service,
    "ServiceEntry": _on_service,
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


def _workload_service_ports(mesh: Mesh, workload: Workload) -> Iterator[tuple[MeshService, Any]]:
    """The workload's own services (selector match in its namespace), oldest first, per port."""
    for service in mesh.services_by_namespace.get(workload.namespace, ()):
        selector = service.selector
        if selector and _labels_match(selector, workload.labels):
            for port in service.ports:
                yield service, port


def compute_scope(mesh: Mesh, workload: Workload) -> SidecarScope:
    """The scope istiod computes for ``workload``'s proxy (§3, §5.0).

    Scopes are cached per (Sidecar, config namespace), so workloads that share a Sidecar
    and namespace share the work.
    """
    sidecar, origin = _select(mesh, workload)
    gateway = origin is SelectionOrigin.GATEWAY_DEFAULT
    core = _core(mesh, sidecar, workload.namespace, gateway)
    return SidecarScope(workload=workload, sidecar=sidecar, origin=origin, core=core)


# =========================================================================== listeners (§5.11)


@attrs.frozen(kw_only=True)
class OutboundListener(Result):
    """One outbound listener (address, port) as a user reasons about it (L1..L7, MSP1..MSP6).

    ``protocol`` is the recorded protocol, UNSUPPORTED meaning protocol sniffing (a wildcard
    HTTP listener is recorded so, L4). ``hosts`` are the hosts it carries after locking and
    route ownership; ``shadowed`` the hosts that asked for this (address, port) but lost it.
    """

    address: str
    port: int
    protocol: Protocol
    binds_socket: bool
    egress_index: int
    route: str | None
    hosts: tuple[str, ...]
    shadowed: tuple[str, ...] = ()
    #: The egress listener whose services make the route's virtual hosts (R1, MSP1).
    route_egress_index: int | None = None

    def __str__(self) -> str:
        """``0.0.0.0:9080 (auto-detect, from egress[0], route "9080"): reviews...``."""
        proto = "auto-detect" if self.protocol is Protocol.UNSUPPORTED else self.protocol.value
        socket = ", binds a socket" if self.binds_socket else ""
        route = f', route "{self.route}"' if self.route else ""
        owner = self.route_egress_index
        if owner is not None and owner != self.egress_index:
            route += f" of egress[{owner}]"
        text = (
            f"{self.address}:{self.port} ({proto}, from egress[{self.egress_index}]{route}"
            f"{socket}): {', '.join(self.hosts) or 'no hosts'}"
        )
        if self.shadowed:
            text += f"; shadowed: {', '.join(self.shadowed)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "address": self.address,
            "port": self.port,
            "protocol": self.protocol.value,
            "bindsSocket": self.binds_socket,
            "egressIndex": self.egress_index,
            "route": self.route,
            "routeEgressIndex": self.route_egress_index,
            "hosts": list(self.hosts),
            "shadowed": list(self.shadowed),
        }


class _Entry:
    """An outbound listener under construction, keyed by (address, port)."""

    __slots__ = (
        "address",
        "binds",
        "egress_index",
        "http",
        "locked",
        "port",
        "protocol",
        "shadowed",
        "tcp",
        "uds",
    )

    def __init__(  # noqa: PLR0913 - a plain record, built in a hot loop
        self,
        address: str,
        port: int,
        protocol: Protocol,
        binds: bool,  # noqa: FBT001
        egress_index: int,
        *,
        uds: bool = False,
    ) -> None:
        self.address = address
        self.port = port
        self.protocol = protocol
        self.binds = binds
        self.egress_index = egress_index
        self.locked = False
        self.uds = uds
        self.tcp: list[str] = []
        self.http: list[str] = []
        self.shadowed: list[str] = []


_MONGO_MYSQL: Final = (Protocol.MONGO, Protocol.MYSQL)  # a tuple: enum hashing is slow


def _category(protocol: Protocol) -> str:
    if protocol.is_http:
        return "http"
    if protocol is Protocol.UNSUPPORTED:
        return "auto"
    return "tcp"


#: The L6 category of every protocol, "http", "auto" (sniffed) or "tcp", by ``id`` of the
#: member: hashing an enum member runs Python code, hashing an int does not.
_CATEGORY: Final = {id(p): _category(p) for p in Protocol}


class _Builder:
    """Outbound listener construction for one scope and one kind of proxy (§5.11)."""

    def __init__(
        self,
        scope: SidecarScope,
        capture_none: bool,  # noqa: FBT001
        unprivileged: bool,  # noqa: FBT001
        own_ip: str | None = None,
    ) -> None:
        self.scope = scope
        config = scope.mesh.config
        self.capture_none = capture_none
        self.unprivileged = unprivileged
        #: The proxy's own address, when some headless service lists it as an endpoint (L5).
        self.own_ip = own_ip
        self.headless_filter_chain = config.headless_filter_chain_listener
        family = scope.workload.ip_family
        #: The proxy's wildcard and loopback addresses (L2, L4); dual-stack proxies list
        #: the IPv4 ones first, which is what an entry is keyed by.
        self.wildcard = family.wildcard
        self.loopback = family.loopback
        self.reserved = RESERVED_PORTS | {
            config.proxy_listen_port or DEFAULT_PROXY_LISTEN_PORT,
            config.proxy_inbound_listen_port or DEFAULT_PROXY_INBOUND_LISTEN_PORT,
        }
        #: Entries under construction, or finished listeners a plan row prebuilt (see
        #: _port_plan) for a key nothing else can touch; ``_entry`` thaws those on demand.
        self.entries: dict[tuple[str, int], _Entry | OutboundListener] = {}
        self.catch_all_routes: dict[int, dict[int, list[str]]] = {}
        #: route name -> (port, serving egress index or None, virtual host names) (R1..R4)
        self.routes: dict[str, tuple[int, int | None, list[str]]] = {}

    def build(self) -> tuple[OutboundListener, ...]:
        for egress in self.scope.egress:
            listener = egress.listener
            # L1
            binds = (
                self.capture_none
                or listener.capture_mode is CaptureMode.NONE
                or (listener.bind or "").startswith("unix://")
            )
            if listener.port is not None:
                self._ported(egress, binds)
            else:
                self._catch_all(egress, binds)
        return tuple(
            e if isinstance(e, OutboundListener) else self._result(e) for e in self.entries.values()
        )

    def _entry(self, key: tuple[str, int]) -> _Entry | None:
        """The entry at ``key``, a prebuilt listener made an entry again when something joins."""
        found = self.entries.get(key)
        if isinstance(found, OutboundListener):
            entry = _Entry(
                found.address, found.port, found.protocol, found.binds_socket, found.egress_index
            )
            entry.tcp.extend(found.hosts)
            self.entries[key] = entry
            return entry
        return found

    def _address(
        self,
        bind: str | None,
        binds: bool,  # noqa: FBT001 - private, called in a hot loop
        protocol: Protocol,
        service: MeshService,
    ) -> str:
        if bind:
            return bind  # L2
        if binds:
            return self.loopback
        if _CATEGORY[id(protocol)] == "http":
            return self.wildcard  # L4: one listener for every HTTP service on the port
        address = service.address
        if "/" in address or address == WILDCARD_ADDRESS:
            return self.wildcard  # a CIDR (plus a CIDR match), or no address
        return address

    def _can_bind(self, bind: str | None, binds: bool, protocol: Protocol, port: int) -> bool:  # noqa: FBT001
        """L3 (istiod's ``CanBindToPort``), before any address is chosen for a service."""
        if binds and port in PRIVILEGED_PORTS and self.unprivileged:
            return False  # a privileged port on an unprivileged proxy
        return not (port in self.reserved and _on_wildcard(bind, binds, protocol, self.wildcard))

    def _ported(self, egress: EgressScope, binds: bool) -> None:  # noqa: FBT001
        listener = egress.listener
        assert listener.port is not None  # noqa: S101 - caller checks
        number = listener.port.number or 0
        protocol = listener.port.parsed_protocol  # L3: the Sidecar protocol wins
        bind = listener.bind
        if number == 0 and bind and bind.startswith("unix://"):
            entry = _Entry(bind, 0, protocol, True, egress.index, uds=True)  # noqa: FBT003
            self.entries[(bind, 0)] = entry
            entry.http.extend(_route_names(egress.services, None))
            self.routes[bind] = (0, egress.index, entry.http)  # L7, R2: all ports
            return
        if not self._can_bind(bind, binds, protocol, number):
            return  # L3: the whole listener is skipped
        for service in egress.services:
            if service.resolution == ALIAS_RESOLUTION:
                continue  # L4: alias services produce nothing
            address = self._address(bind, binds, protocol, service)
            self._add(address, number, protocol, binds, egress.index, service)

    def _catch_all(self, egress: EgressScope, binds: bool) -> None:  # noqa: C901, FBT001, PLR0912, PLR0915 - the hot loop
        entries = self.entries
        for key in list(entries):
            existing = self._entry(key)
            if existing is not None:
                existing.locked = True  # L5, MSP2
        bind = egress.listener.bind
        if bind:
            self._catch_all_each(egress, bind, binds)
            return
        # Without a bind, what each service port asks for depends on the service and on
        # whether the listener binds sockets (L2..L5): it is planned once per service and
        # mesh and shared by every scope that imports the service; only the merging (L5,
        # L6), the proxy's own address and its privileges are per scope.
        index = egress.index
        routes: dict[int, list[str]] = self.catch_all_routes.setdefault(index, {})
        mesh = self.scope.mesh
        reserved = self.reserved
        filter_chains = self.headless_filter_chain
        wildcard = self.wildcard
        loopback = self.loopback if binds else None
        plans = _port_plans(mesh, (reserved, loopback, wildcard, filter_chains))
        unshared = _unshared_addresses(mesh)
        privileged = binds and self.unprivileged
        own_ip = self.own_ip
        category_of = _CATEGORY
        http_proxy = Protocol.HTTP_PROXY
        for service in egress.services:
            plan = plans.get(id(service))
            if plan is None:
                plan = plans[id(service)] = _port_plan(
                    service,
                    reserved,
                    unshared,
                    wildcard=wildcard,
                    loopback=loopback,
                    filter_chains=filter_chains,
                )
            for key, number, protocol, recorded, category, host, names, prebuilt, at in plan:
                if names:
                    served = routes.get(number)
                    if served is None:
                        routes[number] = [*names]
                    else:
                        served.extend(names)
                if key is None or (at is not None and at == own_ip):
                    continue  # L3: a reserved proxy port; L5: the proxy's own address
                if privileged and number in PRIVILEGED_PORTS:
                    continue  # L3
                entry = entries.get(key)
                if entry is None:
                    if prebuilt is not None:
                        # A key only this service port can ask for: its listener is the
                        # same in every scope (per egress index), built once per mesh.
                        done = prebuilt.get(index)
                        if done is None:
                            done = prebuilt[index] = _alone(key, recorded, index, host)
                        entries[key] = done
                        continue
                    entry = entries[key] = _Entry(key[0], number, recorded, binds, index)
                    (entry.http if category == "http" else entry.tcp).append(host)
                    continue
                if isinstance(entry, OutboundListener):
                    entry = self._entry(key)
                    assert entry is not None  # noqa: S101 - just thawed
                if (
                    not entry.locked
                    and category == "http"
                    and protocol is not http_proxy
                    and category_of[id(entry.protocol)] != "tcp"
                ):
                    entry.http.append(host)  # L6: HTTP onto HTTP or sniffing: RDS carries it
                else:
                    self._merge(entry, key, protocol, binds, index, host)

    def _catch_all_each(self, egress: EgressScope, bind: str | None, binds: bool) -> None:  # noqa: FBT001
        routes: dict[int, list[str]] = self.catch_all_routes.setdefault(egress.index, {})
        for service in egress.services:
            self._catch_all_one(service, bind, binds, egress.index, routes)

    def _catch_all_one(  # noqa: C901, PLR0912, PLR0915 - L5 with L2..L4 inlined
        self,
        service: MeshService,
        bind: str | None,
        binds: bool,  # noqa: FBT001
        index: int,
        routes: dict[int, list[str]],
    ) -> None:
        """L5 for one service of the catch-all listener, with L2..L4 and the special case."""
        entries = self.entries
        reserved = self.reserved
        privileged = binds and self.unprivileged
        category_of = _CATEGORY
        udp = Protocol.UDP
        wildcard = self.wildcard
        resolution = service.resolution
        if resolution == ALIAS_RESOLUTION:
            return  # L4: alias services produce nothing
        own_address = service.address
        host = service.hostname
        aliases = service.aliases
        per_endpoint = (
            not bind
            and not binds
            and resolution == "NONE"
            and own_address == WILDCARD_ADDRESS
            and (
                service.registry is Registry.KUBERNETES
                or bool(service.endpoints)
                or bool(service.selector)
            )
        )
        for port in service.ports:
            protocol = port.protocol
            if protocol is udp:
                continue  # L4: UDP produces nothing
            category = category_of[id(protocol)]
            number = port.number
            if category != "tcp":
                # R4: a default virtual host, whose domains include the aliases (5.4 step 5)
                served = routes.setdefault(number, [])
                served.append(host)
                if aliases:
                    served.extend(a.hostname for a in aliases)
            if per_endpoint and category != "http":
                # L5 special case (b): one entry per endpoint IP, skipping non-IP
                # addresses and the proxy's own; with the filter-chain flag, pure TCP
                # ports share one wildcard entry with a CIDR match per endpoint.
                shared = self.headless_filter_chain and category == "tcp"
                for endpoint in service.endpoints:
                    if endpoint != self.own_ip and is_ip(endpoint):
                        address = wildcard if shared else endpoint
                        self._add(address, number, protocol, binds, index, service)
                continue
            # L2, L4 (as _address, inlined)
            if bind:
                address = bind
            elif binds:
                address = self.loopback
            elif category == "http" or "/" in own_address or own_address == WILDCARD_ADDRESS:
                address = wildcard
            else:
                address = own_address
            # L3 (as _can_bind, inlined)
            if privileged and number in PRIVILEGED_PORTS:
                continue
            if number in reserved and _on_wildcard(bind, binds, protocol, wildcard):
                continue
            key = (address, number)
            entry = self._entry(key)
            if (
                entry is not None
                and not entry.locked
                and category == "http"
                and protocol is not Protocol.HTTP_PROXY
                and category_of[id(entry.protocol)] != "tcp"
            ):
                entry.http.append(host)  # L6: HTTP onto HTTP or sniffing: RDS carries it
                continue
            if entry is None:
                recorded = (
                    Protocol.UNSUPPORTED
                    if category == "http"
                    and address == wildcard
                    and protocol is not Protocol.HTTP_PROXY
                    else protocol
                )
                entry = entries[key] = _Entry(address, number, recorded, binds, index)
                (entry.http if category == "http" else entry.tcp).append(host)
            else:
                self._merge(entry, key, protocol, binds, index, host)

    def _add(  # noqa: PLR0913, PLR0917 - the parts of one L4 entry key, in a hot loop
        self,
        address: str,
        port: int,
        protocol: Protocol,
        binds: bool,  # noqa: FBT001
        egress_index: int,
        service: MeshService,
    ) -> None:
        key = (address, port)
        host = service.hostname
        entry = self._entry(key)
        if entry is None:
            # L4: a wildcard HTTP entry sniffs; an HTTP_PROXY one stays HTTP_PROXY.
            http = _CATEGORY[id(protocol)] == "http"
            recorded = (
                Protocol.UNSUPPORTED
                if http and address == self.wildcard and protocol is not Protocol.HTTP_PROXY
                else protocol
            )
            entry = self.entries[key] = _Entry(address, port, recorded, binds, egress_index)
            (entry.http if http else entry.tcp).append(host)
            return
        self._merge(entry, key, protocol, binds, egress_index, host)

    def _merge(  # noqa: PLR0913, PLR0917 - an entry and its newcomer
        self,
        entry: _Entry,
        key: tuple[str, int],
        protocol: Protocol,
        binds: bool,  # noqa: FBT001
        egress_index: int,
        host: str,
    ) -> None:
        """A newcomer on an existing (address, port) entry: locking (L5), then L6."""
        if entry.locked:
            entry.shadowed.append(host)  # L5: MSP2
            return
        address, port = key
        if protocol is Protocol.HTTP_PROXY:
            fresh = _Entry(address, port, protocol, binds, egress_index)
            fresh.http.append(host)
            self.entries[key] = fresh
            return
        old = entry.protocol
        if (protocol in _MONGO_MYSQL or old in _MONGO_MYSQL) and protocol is not old:
            entry.shadowed.append(host)
            return
        new_cat = _CATEGORY[id(protocol)]
        old_cat = _CATEGORY[id(old)]
        if new_cat == "http":
            if old_cat == "tcp":
                entry.protocol = Protocol.UNSUPPORTED
            entry.http.append(host)
        elif new_cat == "tcp":
            if old_cat == "http":
                entry.protocol = Protocol.UNSUPPORTED
            entry.tcp.append(host)
        elif old_cat == "http":
            # auto-detect onto HTTP replaces it
            fresh = _Entry(address, port, Protocol.UNSUPPORTED, binds, egress_index)
            fresh.tcp.append(host)
            self.entries[key] = fresh
        else:
            entry.protocol = Protocol.UNSUPPORTED
            entry.tcp.append(host)

    def _route_owner(self, port: int, route: str) -> EgressScope | None:
        for egress in self.scope.egress:  # R1
            listener = egress.listener
            if listener.port is None:
                return egress
            if listener.port.number == port and (port != 0 or listener.bind == route):
                return egress
        return None

    def _route_hosts(self, port: int, route: str) -> list[str]:
        """The virtual host names of route ``route`` (R1 to R4), computed once per route."""
        found = self.routes.get(route)
        if found is None:
            owner = self._route_owner(port, route)
            hosts = [] if owner is None else self._served(owner, port)
            found = self.routes[route] = (port, None if owner is None else owner.index, hosts)
        return found[2]

    def _served(self, owner: EgressScope, port: int) -> list[str]:
        listener_port = owner.listener.port
        if listener_port is None:
            # R2, R4 for the catch-all: its services with an HTTP or sniffed port P,
            # collected by _catch_all in the same pass.
            served = self.catch_all_routes.get(owner.index, {}).get(port, [])
        elif listener_port.parsed_protocol is Protocol.HTTP_PROXY or not listener_port.number:
            # R2: HTTP_PROXY and UDS routes take every port of every service (P = 0).
            port = 0
            served = _route_names(owner.services, None)
        else:
            # R2: the ported listener's services, already trimmed to P; R4: only an HTTP
            # or sniffed service port gets a virtual host, whatever the Sidecar protocol.
            served = _route_names(owner.services, port)
        if port == HTTP_PORT and owner.virtual_services:
            # R3: on port 80 every VirtualService of the listener gets its virtual hosts,
            # so VS hosts that are no registry service are reachable there (and only there).
            known = set(served)
            served = [
                *served,
                *(h for v in owner.virtual_services for h in v.hosts if h not in known),
            ]
        return served

    def _result(self, entry: _Entry) -> OutboundListener:
        category = _CATEGORY[id(entry.protocol)]
        if category == "tcp" and not entry.http and not entry.shadowed and len(entry.tcp) == 1:
            # The common case, a TCP service on its own address: nothing to merge.
            return OutboundListener(
                address=entry.address,
                port=entry.port,
                protocol=entry.protocol,
                binds_socket=entry.binds,
                egress_index=entry.egress_index,
                route=None,
                hosts=(entry.tcp[0],),
                shadowed=(),
            )
        route: str | None = None
        owner: int | None = None
        carried = entry.tcp
        shadowed = entry.shadowed
        if entry.uds:
            route = entry.address  # L7
            owner = entry.egress_index
            carried = entry.http
        elif (
            entry.http
            or category == "http"
            or (category == "auto" and entry.address == self.wildcard)
        ):
            route = str(entry.port)
            # MSP1: the route of port P is served by the owning egress listener (R1).
            served = self._route_hosts(entry.port, route)
            owner = self.routes[route][1]
            carried = [*entry.tcp, *served]
            serving = set(served)
            shadowed = [*shadowed, *(h for h in entry.http if h not in serving)]
        elif category == "auto":
            # L7: a sniffed listener on a service address: route "<hostname>:P" (MSP3)
            route = f"{entry.tcp[0] if entry.tcp else ''}:{entry.port}"
        hosts = tuple(carried) if len(carried) < 2 else tuple(dict.fromkeys(carried))  # noqa: PLR2004
        if shadowed:
            kept = set(hosts)
            lost = tuple(h for h in dict.fromkeys(shadowed) if h not in kept)
        else:
            lost = ()
        return OutboundListener(
            address=entry.address,
            port=entry.port,
            protocol=entry.protocol,
            binds_socket=entry.binds,
            egress_index=entry.egress_index,
            route=route,
            hosts=hosts,
            shadowed=lost,
            route_egress_index=owner,
        )


_Plan = tuple[tuple[Any, ...], ...]


def _port_plans(mesh: Mesh, mode: tuple[Any, ...]) -> dict[int, _Plan]:
    """The mesh's cache of port plans for one kind of catch-all, by ``id`` of the service."""
    cache: dict[tuple[Any, ...], dict[int, _Plan]] = mesh.__dict__.setdefault("_port_plans", {})
    found = cache.get(mode)
    if found is None:
        found = cache[mode] = {}
    return found


def _port_plan(  # noqa: PLR0913 - the service and the kind of listener
    service: MeshService,
    reserved: frozenset[int],
    unshared: frozenset[str],
    *,
    wildcard: str,
    loopback: str | None,
    filter_chains: bool,
) -> _Plan:
    """What each port of ``service`` asks of a catch-all listener without ``bind`` (L2..L5).

    ``wildcard`` is the proxy's wildcard address; ``loopback`` its loopback address when
    the listener binds real sockets, so that every entry sits there (L2), else None.
    One row per entry asked for: its key (None on a reserved proxy port, L3, or for a row
    that only adds route names), port number, protocol, the protocol an entry it creates
    records (L4), its L6 category, the hostname, the names it adds to route "P" (R4, with
    aliases), a dictionary of prebuilt listeners or None, and the endpoint address the row
    stands for (L5: skipped for the proxy that has it), else None. UDP ports and alias
    services ask for nothing (L4).
    """
    resolution = service.resolution
    if resolution == ALIAS_RESOLUTION:
        return ()
    own_address = service.address
    per_endpoint = (
        loopback is None
        and resolution == "NONE"
        and own_address == WILDCARD_ADDRESS
        and (
            service.registry is Registry.KUBERNETES
            or bool(service.endpoints)
            or bool(service.selector)
        )
    )
    endpoints = [e for e in service.endpoints if is_ip(e)] if per_endpoint else []
    host = service.hostname
    names = (host, *(a.hostname for a in service.aliases))
    rows: list[tuple[Any, ...]] = []
    for port in service.ports:
        protocol = port.protocol
        if protocol is Protocol.UDP:
            continue
        category = _CATEGORY[id(protocol)]
        number = port.number
        http = category == "http"
        routed = names if category != "tcp" else ()
        if per_endpoint and not http:
            # L5 special case (b): one entry per endpoint IP (the flag folds pure TCP ports
            # into one wildcard entry with a CIDR match per endpoint).
            if routed:
                rows.append((None, number, protocol, protocol, category, host, routed, None, None))
            shared = filter_chains and category == "tcp"
            rows.extend(
                (
                    (wildcard if shared else endpoint, number),
                    number,
                    protocol,
                    protocol,
                    category,
                    host,
                    (),
                    None,
                    endpoint,
                )
                for endpoint in endpoints
            )
            continue
        if loopback is not None:
            address = loopback
        elif http or "/" in own_address or own_address == WILDCARD_ADDRESS:
            address = wildcard
        else:
            address = own_address
        # L3: without bind, only an HTTP port is taken to sit on the wildcard.
        key = None if http and loopback is None and number in reserved else (address, number)
        recorded = (
            Protocol.UNSUPPORTED
            if http and address == wildcard and protocol is not Protocol.HTTP_PROXY
            else protocol
        )
        # Only this service asks for a key on its own, unshared address: no merging can
        # happen there, so the finished listener is prebuilt (per egress index).
        alone = (
            not http
            and loopback is None
            and key is not None
            and key[0] == own_address
            and own_address in unshared
        )
        rows.append(
            (key, number, protocol, recorded, category, host, routed, {} if alone else None, None)
        )
    return tuple(rows)


def _alone(key: tuple[str, int], protocol: Protocol, index: int, host: str) -> OutboundListener:
    """The listener of a TCP or sniffed service port alone on its own address (L4, L7)."""
    address, port = key
    sniffed = protocol is Protocol.UNSUPPORTED
    return OutboundListener(
        address=address,
        port=port,
        protocol=protocol,
        binds_socket=False,
        egress_index=index,
        route=f"{host}:{port}" if sniffed else None,
        hosts=(host,),
    )


def _unshared_addresses(mesh: Mesh) -> frozenset[str]:
    """Service addresses that exactly one service declares and that are no endpoint."""
    cached = mesh.__dict__.get("_unshared_addresses")
    if cached is None:
        seen: dict[str, int] = {}
        endpoints: set[str] = set()
        for service in mesh.services:
            seen[service.address] = seen.get(service.address, 0) + 1
            endpoints.update(service.endpoints)
        cached = frozenset(
            a for a, n in seen.items() if n == 1 and a != WILDCARD_ADDRESS and a not in endpoints
        )
        mesh.__dict__["_unshared_addresses"] = cached
    return cached


def _on_wildcard(bind: str | None, binds: bool, protocol: Protocol, wildcard: str) -> bool:  # noqa: FBT001
    """Whether L3 takes a listener to sit on the wildcard address, where proxy ports are.

    istiod's ``conflictWithReservedListener`` looks at the bind, not at the address the
    listener ends up on: an explicit bind counts when it is the wildcard; a socket-binding
    listener without bind sits on loopback; otherwise only an HTTP protocol counts (a TCP
    or sniffed port on a service without address is not checked).
    """
    if bind:
        return bind == wildcard
    return not binds and protocol.is_http


def _route_names(services: Iterable[MeshService], port: int | None) -> list[str]:
    """The virtual host names services get on a route: each hostname and its kept aliases.

    Only services with an HTTP or sniffed port ``port`` (any port when None) get one
    (R4); alias services get none of their own, the service they point at carries their
    names as extra domains (istiod's ``generateVirtualHostDomains``).
    """
    names = []
    for service in services:
        if service.resolution == ALIAS_RESOLUTION:
            continue
        if not any(
            (port is None or p.number == port) and _CATEGORY[id(p.protocol)] != "tcp"
            for p in service.ports
        ):
            continue
        names.append(service.hostname)
        names.extend(a.hostname for a in service.aliases)
    return names


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _endpoint_ips(core: _Core) -> frozenset[str]:
    """Endpoints of the scope's catch-all services that may get per-endpoint listeners (L5)."""
    found = core.endpoint_ips
    if found is None:
        found = frozenset(
            endpoint
            for egress in core.egress
            if egress.listener.port is None
            for service in egress.services
            if service.resolution == "NONE"
            for endpoint in service.endpoints
        )
        object.__setattr__(core, "endpoint_ips", found)
    return found


def outbound_listeners(scope: SidecarScope) -> tuple[OutboundListener, ...]:
    """The outbound listeners of a scope after most-specific-port merging (§5.11, §5.13).

    Computed once per scope and kind of proxy (interception mode, privileges).
    """
    core = scope._core  # noqa: SLF001 - the scope's own cache
    capture_none = scope.workload.interception_mode == "NONE"
    # Privileges only matter where a listener binds a real socket (L1, L3).
    unprivileged = scope.workload.unprivileged and (capture_none or core.binds_sockets)
    # L5: the proxy's own IP is no endpoint of its own outbound listeners; it only matters
    # (and only splits the cache) when a passthrough service of the scope lists it.
    ip = scope.workload.ip
    own_ip = ip if ip is not None and not capture_none and ip in _endpoint_ips(core) else None
    # Only the primary wildcard and loopback matter: dual-stack shares IPv4's listeners.
    key = (capture_none, unprivileged, own_ip, scope.workload.ip_family.wildcard)
    cache = core.listener_cache
    listeners = cache.get(key)
    if listeners is None:
        # Scopes of other (Sidecar, namespace) pairs often import exactly the same
        # services and VirtualServices per egress listener: they share the listeners.
        shared: dict[tuple[Any, ...], tuple[OutboundListener, ...]] = core.mesh.__dict__.setdefault(
            "_shared_listeners", {}
        )
        shared_key = (_signature(core), key)
        listeners = shared.get(shared_key)
        if listeners is None:
            with gc_paused():
                listeners = _build_listeners(scope, capture_none, unprivileged, own_ip)
            shared[shared_key] = listeners
        cache[key] = listeners
    return listeners


def _own_addresses(core: _Core) -> frozenset[str]:
    """The addresses the scope's services and binds use themselves (not as endpoints)."""
    found = core.own_addresses
    if found is None:
        found = frozenset(
            address
            for e in core.egress
            for address in (e.listener.bind or "", *(s.address for s in e.services))
        )
        object.__setattr__(core, "own_addresses", found)
    return found


def _signature(core: _Core) -> tuple[Any, ...]:
    """Everything of a scope its outbound listeners depend on (L1..L7, R1..R4).

    Per egress listener, in order: the listener itself (port, bind, capture mode) and the
    identities of its services and VirtualServices, which the mesh keeps alive. Two
    scopes with equal signatures get equal listeners for the same kind of proxy.
    """
    found = core.signature
    if found is None:
        found = tuple(
            (
                e.listener.port,
                e.listener.bind,
                e.listener.capture_mode,
                tuple(map(id, e.services)),
                tuple(map(id, e.virtual_services)),
            )
            for e in core.egress
        )
        object.__setattr__(core, "signature", found)
    return found


def _build_listeners(
    scope: SidecarScope,
    capture_none: bool,  # noqa: FBT001
    unprivileged: bool,  # noqa: FBT001
    own_ip: str | None,
) -> tuple[OutboundListener, ...]:
    """Build a scope's listeners; for a proxy that is an endpoint, derive them when exact.

    Skipping the proxy's own address (L5) only removes the per-endpoint entries keyed by
    it. Unless something else of the scope uses that address (a service VIP, a bind) or
    the filter-chain flag folds endpoints into wildcard entries, the result is the shared
    one without those entries, which saves a build per endpoint workload.
    """
    core = scope._core  # noqa: SLF001 - the scope's own cache
    if (
        own_ip is not None
        and not core.mesh.config.headless_filter_chain_listener
        and own_ip not in _own_addresses(core)
    ):
        shared = outbound_listeners(
            attrs.evolve(scope, workload=attrs.evolve(scope.workload, ip=None))
        )
        return tuple(listener for listener in shared if listener.address != own_ip)
    return _Builder(scope, capture_none, unprivileged, own_ip).build()


@attrs.frozen(kw_only=True)
class OutboundRoute(Result):
    """One HTTP route configuration (RDS) of the outbound listeners (§5.12).

    ``name`` is ``"P"`` for port P, or the bind of a unix-socket listener; ``egress_index``
    the egress listener whose services and VirtualServices make its virtual hosts (R1: the
    first with port P, else the catch-all); ``hosts`` the virtual host names: its services
    with an HTTP or sniffed port P (every port for HTTP_PROXY and unix sockets), each with
    its kept ExternalName aliases, and on port 80 every host of its VirtualServices (R2..R4).
    """

    name: str
    port: int
    egress_index: int | None
    hosts: tuple[str, ...]

    def __str__(self) -> str:
        """``route "9080" (egress[0]): reviews.prod.svc.cluster.local``."""
        owner = (
            "no egress listener" if self.egress_index is None else f"egress[{self.egress_index}]"
        )
        return f'route "{self.name}" ({owner}): {", ".join(self.hosts) or "no virtual hosts"}'

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "port": self.port,
            "egressIndex": self.egress_index,
            "hosts": list(self.hosts),
        }


def outbound_routes(scope: SidecarScope) -> tuple[OutboundRoute, ...]:
    """The HTTP routes the scope's outbound listeners use, with their virtual hosts (§5.12).

    One per route name that some outbound listener uses (sniffed listeners on a service
    address, route ``"<hostname>:P"``, are not listed). Virtual host names after route
    ownership (MSP1): a host the catch-all imports on a port a ported listener owns is not
    among them.
    """
    core = scope._core  # noqa: SLF001 - the scope's own cache
    capture_none = scope.workload.interception_mode == "NONE"
    unprivileged = scope.workload.unprivileged and (capture_none or core.binds_sockets)
    builder = _Builder(scope, capture_none, unprivileged)
    builder.build()
    return tuple(
        OutboundRoute(name=name, port=port, egress_index=owner, hosts=tuple(dict.fromkeys(hosts)))
        for name, (port, owner, hosts) in builder.routes.items()
    )


# =========================================================================== inbound (§6)


@attrs.frozen(kw_only=True)
class InboundListener(Result):
    """One inbound port of the workload (§6): where it listens and where traffic goes."""

    port: int
    protocol: Protocol
    address: str
    binds_socket: bool
    forward_to: str
    source: str
    connection_pool: InboundPool | None = None

    def __str__(self) -> str:
        """``port 8080 (HTTP) on 0.0.0.0 → original destination, from ingress[0]``."""
        how = "own listener" if self.binds_socket else "virtual inbound listener chain"
        return (
            f"port {self.port} ({self.protocol.value}) on {self.address} ({how}) "
            f"-> {self.forward_to}, from {self.source}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "port": self.port,
            "protocol": self.protocol.value,
            "address": self.address,
            "bindsSocket": self.binds_socket,
            "forwardTo": self.forward_to,
            "source": self.source,
            "connectionPool": None
            if self.connection_pool is None
            else self.connection_pool.to_dict(),
        }


def _forward_target(default_endpoint: str | None) -> str:
    # 6.5
    if not default_endpoint or default_endpoint.startswith(":"):
        return "original destination"
    if default_endpoint.startswith("unix://"):
        return default_endpoint
    host, _, port = default_endpoint.rpartition(":")
    targets = {
        "127.0.0.1": LOOPBACK,
        "[::1]": "::1",
        WILDCARD_ADDRESS: "pod IP",
        "[::]": "pod IPv6 address",
    }
    return f"{targets.get(host, host)}:{port}"


def inbound_listeners(scope: SidecarScope) -> tuple[InboundListener, ...]:
    """The inbound listeners of the workload (§6.1 to §6.5)."""
    workload = scope.workload
    capture_none = workload.interception_mode == "NONE"
    mesh = scope.mesh
    result: list[InboundListener] = []
    seen: set[int] = set()
    for index, listener in enumerate(scope.ingress):  # 6.3, 6.4
        port = listener.port.number or 0
        if port in seen:
            continue  # a duplicate port: the first entry wins
        seen.add(port)
        mode = listener.capture_mode or CaptureMode.DEFAULT
        binds = mode is CaptureMode.NONE or (mode is CaptureMode.DEFAULT and capture_none)
        protocol = listener.port.parsed_protocol
        if binds and port in PRIVILEGED_PORTS and workload.unprivileged:
            continue
        if port in RESERVED_PORTS and (
            listener.bind == WILDCARD_ADDRESS or (not listener.bind and protocol.is_http)
        ):
            continue
        if not binds and capture_none:
            continue  # 8.37: no virtual inbound listener exists
        result.append(
            InboundListener(
                port=port,
                protocol=protocol,
                address=listener.bind or workload.ip or WILDCARD_ADDRESS,
                binds_socket=binds,
                forward_to=_forward_target(listener.default_endpoint),
                source=f"ingress[{index}]",
                connection_pool=scope.inbound_connection_pool(port),
            )
        )
    if scope.ingress and not mesh.config.allow_sidecar_service_inbound_listener_merge:
        return tuple(result)
    if capture_none and not scope.ingress:
        return ()  # 6.2
    localhost = (
        mesh.config.inbound_traffic_policy is not None
        and mesh.config.inbound_traffic_policy.mode == "LOCALHOST"
    )
    for service, service_port in _workload_service_ports(mesh, workload):  # 6.2
        target = service_port.target_port or service_port.number
        if target in seen:
            continue
        seen.add(target)
        result.append(
            InboundListener(
                port=target,
                protocol=service_port.protocol,
                address=workload.ip or WILDCARD_ADDRESS,
                binds_socket=False,
                forward_to=f"{LOOPBACK}:{target}" if localhost else "original destination",
                source=f"service {service.hostname}:{service_port.number}",
                connection_pool=scope.inbound_connection_pool(target),
            )
        )
    return tuple(result)


# =========================================================================== explanations


@attrs.frozen(kw_only=True)
class HostExplanation(Result):
    """Why a hostname is, or is not, reachable from a scope, step by step."""

    hostname: str
    imported: bool
    service: MeshService | None
    steps: tuple[str, ...]
    listeners: tuple[OutboundListener, ...] = ()

    def __str__(self) -> str:
        """Prose: verdict, then the steps."""
        verdict = "has a cluster in this scope" if self.imported else "is not in this scope"
        lines = [f"{self.hostname} {verdict}"]
        lines.extend(f"  - {step}" for step in self.steps)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "hostname": self.hostname,
            "imported": self.imported,
            "service": None if self.service is None else _service_dict(self.service),
            "steps": list(self.steps),
            "listeners": [listener.to_dict() for listener in self.listeners],
        }


def explain_host(scope: SidecarScope, hostname: str) -> HostExplanation:
    """Explain what the scope does with ``hostname``: visibility, imports, ports, listeners."""
    mesh = scope.mesh
    namespace = scope.namespace
    steps: list[str] = []
    declared = mesh.services_by_hostname.get(hostname, ())
    if not declared:
        steps.append("no Service or ServiceEntry in the mesh declares this hostname")
    for service in declared:
        visible = mesh.service_visible(service, namespace)
        export = ",".join(sorted(mesh.effective_export[id(service)]))
        steps.append(
            f"{service.registry.value} service in {service.namespace} (exportTo {export}) is "
            + ("visible" if visible else "not visible")
            + f" to {namespace} (4.2)"
        )
    steps.extend(_explain_imports(scope, declared, hostname))
    chosen = scope.service(hostname)
    listeners = tuple(
        listener
        for listener in outbound_listeners(scope)
        if hostname in listener.hosts or hostname in listener.shadowed
    )
    routes = {r.name: r for r in outbound_routes(scope)} if listeners else {}
    for listener in listeners:
        owner = listener.route_egress_index
        if owner is None:
            owner = listener.egress_index
        route = routes.get(listener.route) if listener.route else None
        if route is not None and hostname in route.hosts:
            steps.append(
                f"carried by outbound listener {listener.address}:{listener.port} as a virtual "
                f'host of route "{listener.route}", made from the services of egress[{owner}] '
                "(R1..R4)"
            )
        elif hostname in listener.hosts:
            steps.append(f"carried by outbound listener {listener.address}:{listener.port}")
        else:
            steps.append(
                f"asked for {listener.address}:{listener.port} but lost it: the port belongs to "
                f"egress[{owner}] (most specific port, MSP1/MSP2)"
            )
    if chosen is not None:
        rule = scope.destination_rule(hostname)
        ports = ", ".join(str(p) for p in chosen.ports)
        steps.append(f"in the scope-wide union from {chosen.namespace} with ports {ports} (5.8)")
        if rule is not None:
            steps.append(f"outbound traffic uses {rule} (4.4.4)")
    return HostExplanation(
        hostname=hostname,
        imported=chosen is not None,
        service=chosen,
        steps=tuple(steps),
        listeners=listeners,
    )


def _explain_imports(
    scope: SidecarScope, declared: tuple[MeshService, ...], hostname: str
) -> Iterator[str]:
    """Per egress listener, how it treated the hostname (5.4), and ExternalName aliases (step 5)."""
    for service in declared:
        if service.resolution == ALIAS_RESOLUTION:
            yield (
                f"a Kubernetes ExternalName Service in {service.namespace} aliasing "
                f"{service.alias_for}: it gets no listener, cluster or virtual host of its own; "
                f"the routes of {service.alias_for} carry its name when the egress host entry "
                "that imports that service also includes this name (5.4 step 5, L4)"
            )
    for egress in scope.egress:
        yield from _explain_listener(scope, egress, declared, hostname)
        for service in egress.services:
            if any(a.hostname == hostname for a in service.aliases):
                yield (
                    f"egress[{egress.index}]: imported {service.hostname} keeps this name as an "
                    "alias, so its virtual hosts carry it (5.4 step 5)"
                )


def _explain_listener(
    scope: SidecarScope,
    egress: EgressScope,
    declared: tuple[MeshService, ...],
    hostname: str,
) -> Iterator[str]:
    classes, _ = _classify(egress.listener.hosts, scope.namespace)
    star = classes.get("*")
    label = f"egress[{egress.index}]"
    imported = [s for s in egress.services if s.hostname == hostname]
    for service in declared:
        own = classes.get(service.namespace)
        if (own is not None and own.excludes(hostname)) or (
            star is not None and star.excludes(hostname)
        ):
            yield f"{label}: excluded by a '~' entry (5.4 step 1)"
        elif (own is not None and own.includes(hostname)) or (
            star is not None and star.includes(hostname)
        ):
            key = service.namespace if own is not None and own.includes(hostname) else "*"
            if any(s.namespace == service.namespace for s in imported):
                yield f"{label}: imported from {service.namespace} by key {key!r} (5.4)"
            elif (
                _needs_port_match(egress.listener)
                and egress.listener.port is not None
                and (service.port(egress.listener.port.number or 0) is None)
            ):
                yield (
                    f"{label}: matched by key {key!r} but has no port "
                    f"{egress.listener.port.number} (5.4 step 4)"
                )
            elif not scope.mesh.in_visibility_index(service, scope.namespace):
                yield f"{label}: matched by key {key!r} but not visible (4.2)"
            else:
                yield f"{label}: the copy in {service.namespace} lost to another namespace (5.5)"
        else:
            yield f"{label}: no host entry matches it in {service.namespace} or '*' (5.4)"
    for vs in egress.virtual_services:
        if any(host == hostname for host, _ in vs.destinations_for(scope.namespace)):
            yield f"{label}: VirtualService {vs.namespace}/{vs.name} routes to it (5.7)"
