"""From observed calls to Sidecars: needs, grouping, and the proof by re-resolving.

Each recommended Sidecar keeps the shape of the Sidecar that governs its workloads today (its
egress listeners' ports, binds and capture modes, its ingress listeners, outbound policy and
inbound pool) and narrows every egress listener's hosts to exact ``ns/host`` entries for the
services it imported today that some observed call needs. Needed services no listener
imported today go to the catch-all listener. So a workload's proxy never imports more than
today, except what the evidence shows it calls and does not import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

import attrs

from sidecar_model import resolver
from sidecar_model._config_size import config_size
from sidecar_model.mesh import Mesh, ProxyType, Workload
from sidecar_model.model import IstioEgressListener, Sidecar, WorkloadSelector
from sidecar_model.recommend._callers import Callers, expand_host, visible_service
from sidecar_model.recommend._result import (
    KeptCall,
    NotKeptCall,
    Recommendation,
    RecommendationError,
    WorkloadSize,
)
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
    union imports :data:`SPLIT_FACTOR` times as many hosts as it needs. ``namespaces``
    limits the recommendation to those namespaces.

    The result is checked by resolving the mesh again with the Sidecars applied: every kept
    call must be carried by an outbound listener of its workload. A call the mesh carries
    today that the new Sidecars would not carry raises :class:`RecommendationError`.
    """
    if per not in {"namespace", "workload"}:
        msg = f"per must be 'namespace' or 'workload', not {per!r}"
        raise ValueError(msg)
    needs, not_kept = _needs(mesh, traffic, namespaces)
    groups = _groups(mesh, needs, split=per == "workload")
    sidecars, replaced = _sidecars(mesh, groups, needs)
    after = attrs.evolve(mesh, sidecars=_applied(mesh, sidecars, replaced))
    kept, unkept = _verify(mesh, after, needs)
    sizes, unobserved = _sizes(mesh, after, sidecars, {n.workload for n in needs})
    return Recommendation(
        sidecars=sidecars,
        sizes=sizes,
        kept=kept,
        not_kept=(*not_kept, *unkept),
        unobserved=unobserved,
    )


# --------------------------------------------------------------------------- needs


def _needs(
    mesh: Mesh, traffic: Traffic, namespaces: Collection[str] | None
) -> tuple[list[_Need], list[NotKeptCall]]:
    callers = Callers(mesh)
    needs: list[_Need] = []
    not_kept: list[NotKeptCall] = []
    for call in traffic.calls:
        workload = callers.find(call)
        if workload is None:
            reason = f"no workload of the mesh is {call.who}"
            if call.namespace is None:
                reason = f"no Pod of the mesh has the address {call.caller_ip}"
            not_kept.append(NotKeptCall(call=call, reason=reason))
            continue
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
    if service is None:
        return [], _undeclared(scope, host)
    if call.port is not None and service.port(call.port) is None:
        known = ", ".join(str(p.number) for p in service.ports)
        return [], f"{service.hostname} has no port {call.port} (its ports: {known})"
    wanted = tuple(p.number for p in service.ports) if call.port is None else (call.port,)
    found = [_service_need(call, workload, service, wanted)]
    if call.requested is not None:
        requested = expand_host(mesh, call.requested, workload.namespace)
        if requested != host:
            found.extend(_requested_needs(mesh, call, workload, scope, requested))
    return found, None


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


def _requested_needs(
    mesh: Mesh, call: Call, workload: Workload, scope: resolver.SidecarScope, requested: str
) -> list[_Need]:
    """The host the application asked for, when a VirtualService routed it elsewhere.

    Its service is needed on every port, and so is the VirtualService that routes it.
    """
    found = []
    service = visible_service(mesh, requested, workload.namespace, scope)
    if service is not None:
        ports = tuple(p.number for p in service.ports)
        found.append(_service_need(call, workload, service, ports))
    for egress in scope.egress:
        vs = egress.virtual_service_for(requested)
        if vs is not None:
            found.append(
                _Need(
                    call=call,
                    workload=workload,
                    entry=f"{vs.namespace}/{requested}",
                    hostname=requested,
                    ports=(),
                    virtual_service=(vs.namespace, vs.name),
                )
            )
            break
    return found


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

    A label set qualifies when every workload it selects has exactly those labels
    (so new selectors never overlap) and each is governed by the namespace-wide Sidecar.
    """
    hosts: dict[Workload, set[str]] = {}
    for need in needs:
        hosts.setdefault(need.workload, set()).add(need.entry)
    union: dict[str, set[str]] = {}
    for workload, entries in hosts.items():
        union.setdefault(workload.namespace, set()).update(entries)
    result: dict[Workload, _Group] = {}
    for workload, entries in hosts.items():
        group = groups[workload]
        labels = workload.labels
        if group.selector is not None or not labels:
            continue
        if len(entries) * SPLIT_FACTOR > len(union[workload.namespace]):
            continue
        selected = [
            w
            for w in mesh.workloads
            if w.namespace == workload.namespace and labels.items() <= w.labels.items()
        ]
        if any(w.labels != labels or _governed_by_selector(mesh, w) for w in selected):
            continue
        result[workload] = attrs.evolve(group, selector=WorkloadSelector(labels=labels), name=None)
    return result


def _governed_by_selector(mesh: Mesh, workload: Workload) -> bool:
    origin = resolver.select_sidecar(mesh, workload).origin
    return origin is resolver.SelectionOrigin.WORKLOAD_SELECTOR


# --------------------------------------------------------------------------- Sidecars


def _sidecars(
    mesh: Mesh, groups: dict[Workload, _Group], needs: list[_Need]
) -> tuple[tuple[Resource[Sidecar], ...], frozenset[tuple[str, str]]]:
    """One Sidecar per group, and the (namespace, name) of the Sidecars they replace."""
    by_group: dict[tuple[str, WorkloadSelector | None, str | None], list[_Need]] = {}
    scopes: dict[tuple[str, WorkloadSelector | None, str | None], _Group] = {}
    for need in needs:
        group = groups[need.workload]
        key = (group.namespace, group.selector, group.name)
        by_group.setdefault(key, []).append(need)
        scopes.setdefault(key, group)
    taken = {(s.namespace or "", s.name or "") for s in mesh.sidecars}
    result: list[Resource[Sidecar]] = []
    replaced: set[tuple[str, str]] = set()
    for key in sorted(by_group, key=_group_order):
        group = scopes[key]
        egress = _egress(group.scope, by_group[key])
        if not egress:
            continue
        name = group.name or _new_name(group, by_group[key], taken)
        taken.add((group.namespace, name))
        if group.name is not None:
            replaced.add((group.namespace, group.name))
        result.append(_resource(group, name, egress))
    return tuple(result), frozenset(replaced)


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
    scope: resolver.SidecarScope, needs: Iterable[_Need]
) -> tuple[IstioEgressListener, ...]:
    """Today's egress listeners with their hosts narrowed to the needed entries.

    A needed service goes to the listener that imported it today (the first one), a needed
    VirtualService host to the one that imported the VirtualService; the rest to the
    catch-all listener, appended when today's Sidecar has none.
    """
    listeners = [e.listener for e in scope.egress]
    hosts: list[set[str]] = [set() for _ in listeners]
    catch_all = next((i for i, e in enumerate(scope.egress) if e.port is None), None)
    rest: set[str] = set()
    for need in needs:
        index = _importing_listener(scope, need)
        if index is None:
            index = catch_all
        (rest if index is None else hosts[index]).add(need.entry)
    result = [
        attrs.evolve(listener, hosts=tuple(sorted(entries)))
        for listener, entries in zip(listeners, hosts, strict=True)
        if entries
    ]
    if rest:
        result.append(IstioEgressListener(hosts=tuple(sorted(rest))))
    return tuple(result)


def _importing_listener(scope: resolver.SidecarScope, need: _Need) -> int | None:
    for index, egress in enumerate(scope.egress):
        if need.virtual_service is not None:
            if any((v.namespace, v.name) == need.virtual_service for v in egress.virtual_services):
                return index
        elif any(
            f"{s.namespace}/{s.hostname}" == need.entry and set(need.ports) <= _ports(s)
            for s in egress.services
        ):
            return index
    return None


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
        meta = attrs.evolve(
            meta, labels=today.metadata.labels, annotations=today.metadata.annotations
        )
    return Resource(api_version=API_VERSION, kind="Sidecar", metadata=meta, spec=spec)


def _applied(
    mesh: Mesh, sidecars: tuple[Resource[Sidecar], ...], replaced: frozenset[tuple[str, str]]
) -> tuple[Resource[Sidecar], ...]:
    """The mesh's Sidecars with the recommended ones applied, in selection order (§3.2).

    A new mesh holding only the Sidecars orders them the way every mesh does.
    """
    kept = [s for s in mesh.sidecars if (s.namespace, s.name) not in replaced]
    return Mesh.from_resources([*kept, *sidecars], config=mesh.config).sidecars


# --------------------------------------------------------------------------- proof


def _carried(scope: resolver.SidecarScope, need: _Need) -> tuple[int, ...]:
    """The needed ports on which some outbound listener of the scope carries the host.

    For a VirtualService host: ``(0,)`` when an egress listener imports that VirtualService.
    """
    if need.virtual_service is not None:
        imported = any(
            (v.namespace, v.name) == need.virtual_service
            for e in scope.egress
            for v in e.virtual_services
        )
        return (0,) if imported else ()
    listeners = resolver.outbound_listeners(scope)
    return tuple(
        port
        for port in need.ports
        if any(listener.port == port and need.hostname in listener.hosts for listener in listeners)
    )


def _verify(
    before: Mesh, after: Mesh, needs: list[_Need]
) -> tuple[tuple[KeptCall, ...], tuple[NotKeptCall, ...]]:
    """Resolve again with the Sidecars applied; refuse if a call carried today breaks."""
    kept: list[KeptCall] = []
    unkept: list[NotKeptCall] = []
    failures: list[str] = []
    for need in needs:
        now = _carried(resolver.compute_scope(after, need.workload), need)
        wanted = need.ports if need.virtual_service is None else (0,)
        missing = [p for p in wanted if p not in now]
        if missing:
            today = _carried(resolver.compute_scope(before, need.workload), need)
            broken = [p for p in missing if p in today]
            failures.extend(f"{need.call} ({need.hostname} port {p})" for p in broken)
            if not broken:
                unkept.append(
                    NotKeptCall(
                        call=need.call,
                        workload=need.workload,
                        reason=_uncarried(need, missing),
                    )
                )
        if now:
            kept.append(
                KeptCall(
                    call=need.call,
                    workload=need.workload,
                    hostname=need.hostname,
                    ports=tuple(p for p in now if p),
                )
            )
    if failures:
        raise RecommendationError(tuple(failures))
    return tuple(kept), tuple(unkept)


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
    after: Mesh,
    sidecars: tuple[Resource[Sidecar], ...],
    observed: set[Workload],
) -> tuple[tuple[WorkloadSize, ...], tuple[Workload, ...]]:
    """Before and after sizes of every workload a recommended Sidecar governs."""
    new = {(s.namespace, s.name) for s in sidecars}
    namespaces = {s.namespace for s in sidecars}
    sizes: list[WorkloadSize] = []
    unobserved: list[Workload] = []
    for workload in after.workloads:
        if workload.namespace not in namespaces or workload.proxy_type is not ProxyType.SIDECAR:
            continue
        scope = resolver.compute_scope(after, workload)
        chosen = scope.sidecar
        if chosen is None or (chosen.namespace, chosen.name) not in new:
            continue
        today = config_size(resolver.compute_scope(before, workload))
        sizes.append(WorkloadSize(workload=workload, before=today, after=config_size(scope)))
        if workload not in observed:
            unobserved.append(workload)
    return tuple(sizes), tuple(unobserved)
