"""From observed calls to Sidecars: needs, grouping, and the proof by re-resolving.

Each recommended Sidecar keeps the shape of the Sidecar that governs its workloads today (its
egress listeners' ports, binds and capture modes, its ingress listeners, outbound policy and
inbound pool) and narrows every egress listener's hosts to exact ``ns/host`` entries for the
services it imported today that some observed call needs. Needed services no listener
imported today go to the catch-all listener. Exact hosts make istiod look services up by
name rather than scan them, in another order, which can change which service of a shared
port a listener carries; if the proof fails for that reason, each entry of a listener that
had wildcards today becomes ``*/host`` where that is exactly equivalent, and it is proven
again. Where that fails too (a name only a wildcard entry carries, such as an ExternalName
alias), the listeners that carry the broken calls keep today's hosts. So a workload's proxy
never imports more than today, except what the evidence shows it calls and does not import.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from sidecar_model import resolver
from sidecar_model._recommend._callers import Callers, expand_host, visible_service
from sidecar_model._recommend._result import (
    KeptCall,
    NotKeptCall,
    Recommendation,
    RecommendationError,
    WorkloadSize,
)
from sidecar_model._results import gc_paused
from sidecar_model.mesh import Mesh, ProxyType, Workload
from sidecar_model.model import IstioEgressListener, Sidecar, WorkloadSelector
from sidecar_model.resolver._size import config_size
from sidecar_model.resources import ObjectMeta, Resource
from sidecar_model.traffic import Call, Outcome

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from sidecar_model.mesh import MeshService
    from sidecar_model.traffic import Traffic

__all__ = ["recommend"]

API_VERSION: Final = "networking.istio.io/v1"
#: per="workload": a workload gets its own Sidecar when its namespace's union imports at
#: least this many times as many hosts as it needs.
SPLIT_FACTOR: Final = 2
_BLOCKED = (
    "blocked today (BlackHoleCluster, the block_all route or no route): a call the proxy "
    "refuses is reported, never kept"
)
_GATEWAY = "the caller is a gateway or waypoint proxy, which Sidecar resources do not configure"


@attrs.frozen
class _Need:
    """A service (or VirtualService host) a workload's call needs, on some ports."""

    call: Call
    workload: Workload
    entry: str  # the egress host entry "ns/host"
    hostname: str  # what listeners carry: the service's hostname, or the VS host
    ports: tuple[int, ...]  # empty for a VirtualService host
    virtual_service: tuple[str, str] | None = None
    #: The observed call itself, not something it relies on (reported as kept or not).
    primary: bool = True


@attrs.frozen
class _Group:
    """Workloads one recommended Sidecar governs, and the Sidecar that governs them today."""

    namespace: str
    scope: resolver.SidecarScope
    selector: WorkloadSelector | None
    name: str | None  # the Sidecar it replaces, or None for a new one


def recommend(
    mesh: Mesh,
    traffic: Traffic,
    *,
    per: Literal["namespace", "workload"] = "namespace",
    namespaces: Collection[str] | None = None,
) -> Recommendation:
    """The smallest Sidecars that keep every observed call the mesh carries.

    One Sidecar per namespace with evidence (replacing its namespace-wide Sidecar, if any),
    and a rewrite of each workload-selector Sidecar that governs an observed workload;
    ``per="workload"`` also gives a workload its own selector Sidecar when its namespace's
    union imports at least twice as many hosts as it needs. ``namespaces``
    limits the recommendation to those namespaces.

    The result is checked by resolving the mesh again with the Sidecars applied: every kept
    call must be carried by an outbound listener of its workload. A call the mesh carries
    today that the new Sidecars would not carry raises :class:`RecommendationError`.
    """
    if per not in {"namespace", "workload"}:
        msg = f"per must be 'namespace' or 'workload', not {per!r}"
        raise ValueError(msg)
    # Bulk allocation of objects that all survive: keep the cyclic collector out of it.
    with gc_paused():
        needs, not_kept = _needs(mesh, traffic, namespaces)
        groups = _groups(mesh, needs, split=per == "workload")
        sidecars, rounds, kept, unkept = _proven(mesh, groups, needs)
        sizes, unobserved = _sizes(mesh, rounds, sidecars, {n.workload for n in needs})
    return Recommendation(
        sidecars=sidecars,
        sizes=sizes,
        kept=tuple(kept),
        not_kept=(*not_kept, *unkept),
        unobserved=unobserved,
    )


_GroupKey = tuple[str, WorkloadSelector | None, str | None]


@attrs.frozen
class _Rounds:
    """The meshes of the proof's first and last rounds, and the namespaces it redid.

    A later round changes only the Sidecars of namespaces where a call broke, and a
    workload's scope depends only on its namespace's Sidecars and the root fallback (§3):
    elsewhere the first round's scopes, already resolved by the proof, are the final ones.
    """

    first: Mesh
    last: Mesh
    redone: frozenset[str]

    def mesh_for(self, namespace: str) -> Mesh:
        return self.last if namespace in self.redone else self.first


@attrs.frozen
class _Shape:
    """How far a proof attempt narrows: groups given ``*/host`` entries, listeners kept whole."""

    widen: frozenset[_GroupKey] = frozenset()
    whole: frozenset[tuple[_GroupKey, int]] = frozenset()
    #: Groups left with the Sidecar they have today.
    unchanged: frozenset[_GroupKey] = frozenset()


def _group_key(group: _Group) -> _GroupKey:
    return (group.namespace, group.selector, group.name)


def _listeners_of(
    groups: dict[Workload, _Group], needs: list[_Need]
) -> frozenset[tuple[_GroupKey, int]]:
    """The egress listeners that carry ``needs`` today (the catch-all where none imports)."""
    found = set()
    for need in needs:
        group = groups[need.workload]
        scope = group.scope
        catch_all = [i for i, e in enumerate(scope.egress) if e.port is None][:1]
        for index in _importing_listeners(scope, need) or catch_all:
            found.add((_group_key(group), index))
    return frozenset(found)


def _proven(
    mesh: Mesh, groups: dict[Workload, _Group], needs: list[_Need]
) -> tuple[tuple[Resource[Sidecar], ...], _Rounds, list[KeptCall], list[NotKeptCall]]:
    """The Sidecars, the meshes of the first and last rounds, and the verified calls; or raise.

    Exact entries first; the groups where that breaks a call get equivalent ``*/host``
    entries; where that breaks one too, the listeners carrying it keep today's hosts; and
    where even that breaks one, the group keeps the Sidecar it has today.
    A workload's scope depends only on the Sidecar that selects it, so each round proves
    only the groups it changed.
    """
    # §3.3: the root namespace's selector-less Sidecar is every namespace's fallback; it is
    # never rewritten from one namespace's evidence.
    root = mesh.config.root_namespace
    shape = _Shape(
        unchanged=frozenset(
            _group_key(g) for g in groups.values() if g.namespace == root and g.selector is None
        )
    )
    pending = needs
    kept: list[KeptCall] = []
    unkept: list[NotKeptCall] = []
    rounds: list[Mesh] = []
    redone: set[str] = set()
    for attempt in range(4):
        pairs = _sidecars(mesh, groups, needs, shape)
        sidecars = tuple(new for new, _ in pairs)
        after = attrs.evolve(mesh, sidecars=_applied(mesh, pairs))
        rounds.append(after)
        proof = _verify(mesh, after, pending)
        failing = {_group_key(groups[n.workload]) for n in proof.broken}
        kept.extend(k for k in proof.kept if _group_key(groups[k.workload]) not in failing)
        unkept.extend(
            u
            for u in proof.unkept
            if u.workload is None or _group_key(groups[u.workload]) not in failing
        )
        if not failing:
            return sidecars, _Rounds(rounds[0], after, frozenset(redone)), kept, unkept
        redone.update(key[0] for key in failing)
        if attempt == 0:
            shape = attrs.evolve(shape, widen=frozenset(failing))
        elif attempt == 1:
            shape = attrs.evolve(shape, whole=shape.whole | _listeners_of(groups, proof.broken))
        elif attempt == 2:  # noqa: PLR2004 - the third of the four shapes
            shape = attrs.evolve(shape, unchanged=shape.unchanged | failing)
        else:
            raise RecommendationError(proof.failures)
        pending = [n for n in needs if _group_key(groups[n.workload]) in failing]
    raise AssertionError  # pragma: no cover - the last round returns or raises


# --------------------------------------------------------------------------- needs


def _needs(
    mesh: Mesh, traffic: Traffic, namespaces: Collection[str] | None
) -> tuple[list[_Need], list[NotKeptCall]]:
    callers = Callers(mesh)
    needs: list[_Need] = []
    not_kept: list[NotKeptCall] = []
    for call in traffic.calls:
        workloads = callers.find(call)
        if not workloads:
            reason = f"no workload of the mesh is {call.who}"
            if call.namespace is None:
                reason = f"no Pod of the mesh has the address {call.caller_ip}"
            not_kept.append(NotKeptCall(call=call, reason=reason))
        for workload in workloads:
            if namespaces is not None and workload.namespace not in namespaces:
                continue
            found, why = _call_needs(mesh, call, workload)
            needs.extend(found)
            if why is not None:
                not_kept.append(NotKeptCall(call=call, reason=why, workload=workload))
    return needs, not_kept


def _call_needs(mesh: Mesh, call: Call, workload: Workload) -> tuple[list[_Need], str | None]:
    if workload.proxy_type is not ProxyType.SIDECAR:
        return [], _GATEWAY
    if call.outcome is Outcome.BLOCKED:
        return [], _BLOCKED
    scope = resolver.compute_scope(mesh, workload)
    host = expand_host(mesh, call.host, workload.namespace)
    service = visible_service(mesh, host, workload.namespace, scope)
    if service is None or (call.port is not None and service.port(call.port) is None):
        # A host (or port) only a VirtualService declares is reachable through it (R2..R4).
        routed = _virtual_service_needs(mesh, call, workload, scope, host)
        if routed:
            return _with_primary(routed), None
        if service is None:
            return [], _undeclared(scope, host)
        known = ", ".join(str(p.number) for p in service.ports)
        return [], f"{service.hostname} has no port {call.port} (its ports: {known})"
    wanted = tuple(p.number for p in service.ports) if call.port is None else (call.port,)
    found = [
        _service_need(call, workload, service, wanted),
        *_routing_needs(call, workload, scope, service),
        # A VirtualService for the host itself decides which route carries it (R2..R4).
        *_virtual_service_needs(mesh, call, workload, scope, host),
    ]
    if call.requested is not None:
        requested = expand_host(mesh, call.requested, workload.namespace)
        if requested != host:
            found.extend(_requested_needs(mesh, call, workload, scope, requested))
    return _with_primary(found), None


def _with_primary(needs: list[_Need]) -> list[_Need]:
    """The first need is the observed call; the others keep what it relies on."""
    return [needs[0], *(attrs.evolve(n, primary=False) for n in needs[1:])]


def _service_need(
    call: Call, workload: Workload, service: MeshService, ports: tuple[int, ...]
) -> _Need:
    return _Need(
        call=call,
        workload=workload,
        entry=f"{service.namespace}/{service.hostname}",
        hostname=service.hostname,
        ports=ports,
    )


def _routing_needs(
    call: Call, workload: Workload, scope: resolver.SidecarScope, service: MeshService
) -> list[_Need]:
    """The VirtualServices imported today that route to the called service (§5.7).

    They stay imported: a VirtualService's routes can decide which listener carries its
    destinations, and the application may have called the VirtualService's host.
    """
    return [
        _Need(
            call=call,
            workload=workload,
            entry=f"{namespace}/{host}",
            hostname=host,
            ports=(),
            virtual_service=(namespace, name),
        )
        for namespace, name, host in _routes_to(scope).get(service.hostname, ())
    ]


_ROUTES: weakref.WeakKeyDictionary[Mesh, dict[tuple[Any, ...], dict[str, list[Any]]]] = (
    weakref.WeakKeyDictionary()
)


def _routes_to(scope: resolver.SidecarScope) -> dict[str, list[tuple[str, str, str]]]:
    """Per destination hostname, the VirtualServices of the scope that route to it.

    Each as its namespace, name and first host; computed once per scope and mesh.
    """
    memo = _ROUTES.setdefault(scope.mesh, {})
    key = (id(scope.sidecar), scope.namespace, scope.origin)
    found = memo.get(key)
    if found is None:
        found = {}
        seen: set[tuple[str, str, str, str]] = set()
        for egress in scope.egress:
            for vs in egress.virtual_services:
                hosts = [h for h in vs.hosts if h != "*"]
                if not hosts:
                    continue
                for target, _port in vs.destinations_for(scope.namespace):
                    item = (vs.namespace, vs.name, hosts[0])
                    if (target, *item) not in seen:
                        seen.add((target, *item))
                        found.setdefault(target, []).append(item)
        memo[key] = found
    return found


def _requested_needs(
    mesh: Mesh, call: Call, workload: Workload, scope: resolver.SidecarScope, requested: str
) -> list[_Need]:
    """The host the application asked for, when a VirtualService routed it elsewhere.

    Its service is needed on every port, and so is the VirtualService that routes it.
    """
    found = _virtual_service_needs(mesh, call, workload, scope, requested)
    service = visible_service(mesh, requested, workload.namespace, scope)
    if service is not None:
        ports = tuple(p.number for p in service.ports)
        found.append(_service_need(call, workload, service, ports))
    return found


def _virtual_service_needs(
    mesh: Mesh, call: Call, workload: Workload, scope: resolver.SidecarScope, host: str
) -> list[_Need]:
    """The VirtualService that routes ``host`` for the workload today, and its destinations.

    A host only a VirtualService declares is reachable through it (R2..R4, §5.7).
    """
    for egress in scope.egress:
        vs = egress.virtual_service_for(host)
        if vs is None:
            continue
        found = [
            _Need(
                call=call,
                workload=workload,
                entry=f"{vs.namespace}/{host}",
                hostname=host,
                ports=() if call.port is None else (call.port,),
                virtual_service=(vs.namespace, vs.name),
            )
        ]
        for target, port in vs.destinations_for(scope.namespace):
            service = visible_service(mesh, target, workload.namespace, scope)
            if service is not None:
                numbers = tuple(p.number for p in service.ports)
                ports = (port,) if port in numbers else numbers
                found.append(_service_need(call, workload, service, ports))
        return found
    return []


def _undeclared(scope: resolver.SidecarScope, host: str) -> str:
    """Why a host no visible Service or ServiceEntry declares is not kept (T1..T4)."""
    mode = scope.outbound_mode
    what = f"no Service or ServiceEntry visible to {scope.namespace} declares {host}"
    if mode == "REGISTRY_ONLY":
        return f"{what}: REGISTRY_ONLY blocks it today and still will"
    return (
        f"{what}: it passes through PassthroughCluster under {mode}, today and with the "
        "recommended Sidecar, which keeps the outbound policy"
    )


# --------------------------------------------------------------------------- grouping


def _groups(mesh: Mesh, needs: list[_Need], *, split: bool) -> dict[Workload, _Group]:
    """The group (future Sidecar) of every workload that has needs."""
    result: dict[Workload, _Group] = {}
    for workload in dict.fromkeys(n.workload for n in needs):
        scope = resolver.compute_scope(mesh, workload)
        sidecar = scope.sidecar
        if scope.origin is resolver.SelectionOrigin.WORKLOAD_SELECTOR and sidecar is not None:
            selector = sidecar.spec.workload_selector
            result[workload] = _Group(workload.namespace, scope, selector, sidecar.name)
        else:
            own = sidecar is not None and sidecar.namespace == workload.namespace
            name = sidecar.name if own and sidecar is not None else None
            result[workload] = _Group(workload.namespace, scope, None, name)
    if split:
        result.update(_split(mesh, needs, result))
    return result


def _split(
    mesh: Mesh, needs: list[_Need], groups: dict[Workload, _Group]
) -> dict[Workload, _Group]:
    """per="workload": own selector Sidecars for workloads that need far less than the rest.

    The observed workloads with one label set (governed by the namespace-wide Sidecar today)
    get their own Sidecar when they need at most 1/SPLIT_FACTOR of the namespace's hosts and
    every workload those labels select has exactly them (so new selectors never overlap) and
    is governed by the namespace-wide Sidecar.
    """
    by_labels: dict[tuple[str, frozenset[tuple[str, str]]], set[str]] = {}
    union: dict[str, set[str]] = {}
    for need in needs:
        workload = need.workload
        union.setdefault(workload.namespace, set()).add(need.entry)
        if groups[workload].selector is None and workload.labels:
            key = (workload.namespace, frozenset(workload.labels.items()))
            by_labels.setdefault(key, set()).add(need.entry)
    chosen: set[tuple[str, frozenset[tuple[str, str]]]] = set()
    for (namespace, labels), entries in by_labels.items():
        if len(entries) * SPLIT_FACTOR > len(union[namespace]):
            continue
        selected = [
            w for w in mesh.workloads if w.namespace == namespace and labels <= w.labels.items()
        ]
        if all(w.labels.items() == labels and not _governed_by_selector(mesh, w) for w in selected):
            chosen.add((namespace, labels))
    result: dict[Workload, _Group] = {}
    for workload, group in groups.items():
        labels = frozenset(workload.labels.items())
        if group.selector is None and (workload.namespace, labels) in chosen:
            selector = WorkloadSelector(labels=workload.labels)
            result[workload] = attrs.evolve(group, selector=selector, name=None)
    return result


def _governed_by_selector(mesh: Mesh, workload: Workload) -> bool:
    origin = resolver.select_sidecar(mesh, workload).origin
    return origin is resolver.SelectionOrigin.WORKLOAD_SELECTOR


# --------------------------------------------------------------------------- Sidecars


def _sidecars(
    mesh: Mesh, groups: dict[Workload, _Group], needs: list[_Need], shape: _Shape
) -> list[tuple[Resource[Sidecar], Resource[Sidecar] | None]]:
    """One Sidecar per group, each with the Sidecar it replaces (None for a new one)."""
    by_group: dict[tuple[str, WorkloadSelector | None, str | None], list[_Need]] = {}
    scopes: dict[tuple[str, WorkloadSelector | None, str | None], _Group] = {}
    for need in needs:
        group = groups[need.workload]
        key = (group.namespace, group.selector, group.name)
        by_group.setdefault(key, []).append(need)
        scopes.setdefault(key, group)
    taken = {(s.namespace or "", s.name or "") for s in mesh.sidecars}
    result: list[tuple[Resource[Sidecar], Resource[Sidecar] | None]] = []
    for key in sorted(by_group, key=_group_order):
        if key in shape.unchanged:
            continue
        group = scopes[key]
        whole = {index for k, index in shape.whole if k == key}
        widen = key in shape.widen
        egress = _egress(group.scope, by_group[key], widen=widen, whole=whole)
        if not egress:
            continue
        name = group.name or _new_name(group, by_group[key], taken)
        taken.add((group.namespace, name))
        replaced = group.scope.sidecar if group.name is not None else None
        result.append((_resource(group, name, egress), replaced))
    result.sort(key=lambda pair: (pair[0].namespace or "", pair[0].name or ""))
    return result


def _group_order(key: tuple[str, WorkloadSelector | None, str | None]) -> tuple[str, ...]:
    namespace, selector, name = key
    labels = (
        "" if selector is None else ",".join(f"{k}={v}" for k, v in sorted(selector.labels.items()))
    )
    return (namespace, name or "", labels)


def _new_name(group: _Group, needs: list[_Need], taken: set[tuple[str, str]]) -> str:
    base = (
        "default" if group.selector is None else min(n.workload.name for n in needs) or "workload"
    )
    name, n = base, 1
    while (group.namespace, name) in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _egress(
    scope: resolver.SidecarScope, needs: Iterable[_Need], *, widen: bool, whole: set[int]
) -> tuple[IstioEgressListener, ...]:
    """Today's egress listeners with their hosts narrowed to the needed entries.

    A needed service goes to every listener that imported it today, a needed VirtualService
    host to every one that imported the VirtualService: so each keeps carrying what it
    carried. The rest go to the catch-all listener, appended when today's Sidecar has none.
    """
    listeners = [e.listener for e in scope.egress]
    hosts: list[set[str]] = [set() for _ in listeners]
    catch_all = next((i for i, e in enumerate(scope.egress) if e.port is None), None)
    rest: set[str] = set()
    for need in needs:
        indexes = _importing_listeners(scope, need) or ([] if catch_all is None else [catch_all])
        for index in indexes:
            entry = need.entry
            if widen and need.virtual_service is None and not _all_exact(listeners[index]):
                entry = _widened(scope, need.entry)
            hosts[index].add(entry)
        if not indexes:
            rest.add(need.entry)
    needed_ports = _ports_of(scope, {entry for entries in hosts for entry in entries} | rest)
    result = [
        listener if index in whole else attrs.evolve(listener, hosts=tuple(sorted(entries)))
        for index, (listener, entries) in enumerate(zip(listeners, hosts, strict=True))
        if entries or index in whole or _holds_a_port(listener, needed_ports)
    ]
    if rest:
        result.append(IstioEgressListener(hosts=tuple(sorted(rest))))
    return tuple(result)


def _ports_of(scope: resolver.SidecarScope, entries: set[str]) -> set[int]:
    """Every port of the services that ``ns/host`` entries name, as the scope holds them."""
    found: set[int] = set()
    for entry in entries:
        service = scope.service(entry.partition("/")[2])
        if service is not None:
            found.update(p.number for p in service.ports)
    return found


def _holds_a_port(listener: IstioEgressListener, ports: set[int]) -> bool:
    """Whether a ported listener owns a port other listeners' needed services have (MSP1).

    Dropping it would hand the port to them, adding listeners and routes to the proxy:
    it stays as it is today.
    """
    return listener.port is not None and listener.port.number in ports


def _all_exact(listener: IstioEgressListener) -> bool:
    """Whether istiod looks a listener's services up by exact host (§5.2 step 6).

    Otherwise it scans the services visible to the namespace, in another order, which can
    change which service of a shared port a listener carries: a narrowed listener keeps
    the way of lookup today's had.
    """
    for entry in listener.hosts:
        namespace, _, host = entry.partition("/")
        if not namespace.startswith("~") and (namespace == "*" or host.startswith("*")):
            return False
    return True


def _widened(scope: resolver.SidecarScope, entry: str) -> str:
    """``*/host`` for ``ns/host`` where that is exactly equivalent, else ``ns/host``.

    Equivalent when every service visible to the namespace that declares the host is in
    ``ns``: then importing from any namespace imports the same services.
    """
    namespace, _, host = entry.partition("/")
    mesh = scope.mesh
    declaring = mesh.services_by_hostname.get(host, ())
    if "*" in host or any(
        s.namespace != namespace and resolver.is_service_visible(mesh, s, scope.namespace)
        for s in declaring
    ):
        return entry
    return f"*/{host}"


def _importing_listeners(scope: resolver.SidecarScope, need: _Need) -> list[int]:
    """Every egress listener that imports the needed service (or VirtualService) today."""
    imports = _imports_of(scope)
    if need.virtual_service is not None:
        return [i for i, (_, vses) in enumerate(imports) if need.virtual_service in vses]
    wanted = set(need.ports)
    return [
        i
        for i, (services, _) in enumerate(imports)
        if any(wanted <= ports for ports in services.get(need.entry, ()))
    ]


_Imports = tuple[tuple[dict[str, list[set[int]]], set[tuple[str, str]]], ...]
_IMPORTS: weakref.WeakKeyDictionary[Mesh, dict[tuple[Any, ...], _Imports]] = (
    weakref.WeakKeyDictionary()
)


def _imports_of(scope: resolver.SidecarScope) -> _Imports:
    """Per egress listener: ``ns/host`` to each imported service's ports, and the VSs.

    Computed once per scope and mesh.
    """
    memo = _IMPORTS.setdefault(scope.mesh, {})
    key = (id(scope.sidecar), scope.namespace, scope.origin)
    found = memo.get(key)
    if found is None:
        built = []
        for egress in scope.egress:
            services: dict[str, list[set[int]]] = {}
            for service in egress.services:
                entry = f"{service.namespace}/{service.hostname}"
                services.setdefault(entry, []).append(_ports(service))
            vses = {(v.namespace, v.name) for v in egress.virtual_services}
            built.append((services, vses))
        found = memo[key] = tuple(built)
    return found


def _ports(service: MeshService) -> set[int]:
    return {p.number for p in service.ports}


def _resource(
    group: _Group, name: str, egress: tuple[IstioEgressListener, ...]
) -> Resource[Sidecar]:
    today = group.scope.sidecar
    spec = Sidecar() if today is None else today.spec
    spec = attrs.evolve(spec, egress=egress, workload_selector=group.selector)
    meta = ObjectMeta(name=name, namespace=group.namespace)
    if today is not None and (today.namespace, today.name) == (group.namespace, name):
        # The replaced Sidecar's labels and annotations stay; server-set fields do not.
        meta = attrs.evolve(today.metadata, creation_timestamp=None, extra=meta.extra)
    return Resource(api_version=API_VERSION, kind="Sidecar", metadata=meta, spec=spec)


def _applied(
    mesh: Mesh, pairs: list[tuple[Resource[Sidecar], Resource[Sidecar] | None]]
) -> tuple[Resource[Sidecar], ...]:
    """The mesh's Sidecars with the recommended ones applied, in selection order (§3.2).

    As ``kubectl apply`` does, a Sidecar that replaces another keeps its creation time,
    which orders selector Sidecars that select the same workload. A new mesh holding only
    the Sidecars orders them the way every mesh does.
    """
    gone = {id(old) for _, old in pairs if old is not None}
    kept = [s for s in mesh.sidecars if id(s) not in gone]
    applied = [
        new
        if old is None
        else attrs.evolve(
            new,
            metadata=attrs.evolve(new.metadata, creation_timestamp=old.metadata.creation_timestamp),
        )
        for new, old in pairs
    ]
    return Mesh.from_resources([*kept, *applied], config=mesh.config).sidecars


# --------------------------------------------------------------------------- proof


def _carried(scope: resolver.SidecarScope, need: _Need) -> tuple[int, ...]:
    """The needed ports on which some outbound listener of the scope carries the host.

    For a VirtualService host: its ports (``(0,)`` for none) when an egress listener imports
    that VirtualService.
    """
    if need.virtual_service is not None:
        imported = any(need.virtual_service in vses for _, vses in _imports_of(scope))
        return (need.ports or (0,)) if imported else ()
    carried = _carried_pairs(scope.mesh, resolver.outbound_listeners(scope))
    return tuple(port for port in need.ports if (port, need.hostname) in carried)


_Pairs = tuple[tuple[resolver.OutboundListener, ...], frozenset[tuple[int, str]]]
_PAIRS: weakref.WeakKeyDictionary[Mesh, dict[int, _Pairs]] = weakref.WeakKeyDictionary()


def _carried_pairs(
    mesh: Mesh, listeners: tuple[resolver.OutboundListener, ...]
) -> frozenset[tuple[int, str]]:
    """Every (port, host) the listeners carry, once per listener tuple and mesh.

    Keyed by the tuple's identity; the entry holds the tuple, so the key stays valid.
    """
    memo = _PAIRS.setdefault(mesh, {})
    found = memo.get(id(listeners))
    if found is None:
        pairs = frozenset((lst.port, host) for lst in listeners for host in lst.hosts)
        found = memo[id(listeners)] = (listeners, pairs)
    return found[1]


@attrs.frozen
class _Proof:
    """What re-resolving showed: calls kept, calls not carried before either, calls broken."""

    kept: list[KeptCall]
    unkept: list[NotKeptCall]
    broken: list[_Need]
    failures: tuple[str, ...]


def _verify(before: Mesh, after: Mesh, needs: list[_Need]) -> _Proof:
    """Resolve again with the Sidecars applied: which calls each workload's listeners carry."""
    kept: list[KeptCall] = []
    unkept: list[NotKeptCall] = []
    failures: list[str] = []
    broken_needs: list[_Need] = []
    for need in needs:
        now = _carried(resolver.compute_scope(after, need.workload), need)
        wanted = need.ports if need.virtual_service is None else (need.ports or (0,))
        missing = [p for p in wanted if p not in now]
        if missing:
            today = _carried(resolver.compute_scope(before, need.workload), need)
            broken = [p for p in missing if p in today]
            if broken:
                failures.extend(f"{need.call} ({need.hostname} port {p})" for p in broken)
                broken_needs.append(need)
            elif need.primary:
                unkept.append(
                    NotKeptCall(
                        call=need.call, workload=need.workload, reason=_uncarried(need, missing)
                    )
                )
        if now and need.primary:
            kept.append(
                KeptCall(
                    call=need.call,
                    workload=need.workload,
                    hostname=need.hostname,
                    ports=tuple(p for p in now if p),
                )
            )
    return _Proof(kept=kept, unkept=unkept, broken=broken_needs, failures=tuple(failures))


def _uncarried(need: _Need, missing: list[int]) -> str:
    if need.virtual_service is not None:
        ns, name = need.virtual_service
        return f"VirtualService {ns}/{name} for {need.hostname} is not imported, today or after"
    ports = ", ".join(map(str, missing))
    return (
        f"no outbound listener carries {need.hostname} on port {ports}, today or with the "
        "recommended Sidecar (another host holds the port: see explain_host)"
    )


def _sizes(
    before: Mesh,
    rounds: _Rounds,
    sidecars: tuple[Resource[Sidecar], ...],
    observed: set[Workload],
) -> tuple[tuple[WorkloadSize, ...], tuple[Workload, ...]]:
    """Before and after sizes of every workload a recommended Sidecar governs."""
    new = {(s.namespace, s.name): s for s in sidecars}
    namespaces = {s.namespace for s in sidecars}
    sizes: list[WorkloadSize] = []
    unobserved: list[Workload] = []
    for workload in before.workloads:
        if workload.namespace not in namespaces or workload.proxy_type is not ProxyType.SIDECAR:
            continue
        today = resolver.compute_scope(before, workload)
        if not _may_change(today, new):
            continue
        scope = resolver.compute_scope(rounds.mesh_for(workload.namespace), workload)
        chosen = scope.sidecar
        if chosen is None or (chosen.namespace, chosen.name) not in new:
            continue
        sizes.append(
            WorkloadSize(workload=workload, before=config_size(today), after=config_size(scope))
        )
        if workload not in observed:
            unobserved.append(workload)
    return tuple(sizes), tuple(unobserved)


def _may_change(scope: resolver.SidecarScope, new: dict[Any, Resource[Sidecar]]) -> bool:
    """Whether a recommended Sidecar may govern the workload of today's ``scope``.

    A workload-selector Sidecar outranks selector-less ones (§3.2), and a recommended
    selector Sidecar only selects workloads a selector-less one governs today: a workload
    that a selector Sidecar governs today keeps it unless it is rewritten.
    """
    today = scope.sidecar
    return (
        scope.origin is not resolver.SelectionOrigin.WORKLOAD_SELECTOR
        or today is None
        or (today.namespace, today.name) in new
    )
