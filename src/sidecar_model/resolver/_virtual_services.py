"""The VirtualServices a listener selects and the services they route to (§5.6 to §5.8).

Also the scope-wide union of imported and inferred services (§5.8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from sidecar_model.hosts import is_partial_wildcard, is_wildcard, matches
from sidecar_model.mesh import Mesh, MeshService, Registry, VirtualServiceInfo
from sidecar_model.mesh._index import dot_suffixes
from sidecar_model.mesh._values import MESH_GATEWAY

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
from sidecar_model.resolver._cache import VsHostIndexes, cache_of
from sidecar_model.resolver._imports import _HostClass, _needs_scan, _port_filter, _trimmed
from sidecar_model.resolver._visibility import _visible_virtual_services

if TYPE_CHECKING:
    from sidecar_model.resolver._scope import EgressScope


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
    wanted: dict[VirtualServiceInfo, None] = {}
    by_namespace = _vs_by_namespace(mesh)
    for name in classes:
        if name != "*":
            wanted.update(dict.fromkeys(by_namespace.get(name, ())))
    if star is not None:
        indexes = _vs_host_indexes(mesh)
        for entry in star.all:
            wanted.update(dict.fromkeys(_vs_matching(entry, indexes)))
    if not wanted:
        return ()
    public, private, exported = _vs_rank_sets(mesh, namespace)
    order = mesh.vs_order
    ranked = []
    for vs in wanted:
        bucket = 0 if vs in private else 1 if vs in exported else 2 if vs in public else -1
        if bucket >= 0:
            ranked.append((bucket, order[vs], vs))
    ranked.sort(key=lambda item: item[:2])
    return [vs for _, _, vs in ranked]


def _visible_vs_cached(mesh: Mesh, namespace: str) -> tuple[VirtualServiceInfo, ...]:
    cache = cache_of(mesh).visible_vs
    found = cache.get(namespace)
    if found is None:
        found = cache[namespace] = _visible_virtual_services(mesh, namespace)
    return found


def _vs_rank_sets(
    mesh: Mesh, namespace: str
) -> tuple[
    frozenset[VirtualServiceInfo], frozenset[VirtualServiceInfo], frozenset[VirtualServiceInfo]
]:
    """The public, private(namespace) and exported(namespace) mesh VSs, as sets (4.3.3)."""
    cache = cache_of(mesh)
    cached = cache.vs_rank_sets
    if cached is None:
        public, private, exported = mesh.vs_for_gateway.get(MESH_GATEWAY, ((), {}, {}))
        cached = cache.vs_rank_sets = (
            frozenset(public),
            {ns: frozenset(v) for ns, v in private.items()},
            {ns: frozenset(v) for ns, v in exported.items()},
        )
    public_set, private_sets, exported_sets = cached
    empty: frozenset[VirtualServiceInfo] = frozenset()
    return public_set, private_sets.get(namespace, empty), exported_sets.get(namespace, empty)


def _vs_matching(entry: str, indexes: VsHostIndexes) -> Iterator[VirtualServiceInfo]:
    """VSs with a host that may match ``entry`` (both ways, §5.1.3), found by lookups."""
    by_host, by_suffix, partial = indexes
    yield from by_host.get(entry, ())
    yield from by_host.get("*", ())
    for suffix in dot_suffixes(entry):
        yield from by_host.get("*" + suffix, ())  # wildcard VS hosts covering the entry
    if is_wildcard(entry):
        yield from by_suffix.get(entry[1:], ())  # VS hosts the wildcard entry covers
    # §5.1.6: a partial wildcard (`*foo.com`) covers names that end inside a label, which no
    # label-aligned lookup finds; the few such hosts are tested one by one.
    for host, vs in partial:
        if matches(host, entry):
            yield vs


def _vs_by_namespace(mesh: Mesh) -> dict[str, list[VirtualServiceInfo]]:
    cache = cache_of(mesh)
    cached = cache.vs_by_namespace
    if cached is None:
        cached = cache.vs_by_namespace = {}
        for vs in mesh.virtual_services:
            cached.setdefault(vs.namespace, []).append(vs)
    return cached


def _vs_host_indexes(mesh: Mesh) -> VsHostIndexes:
    """The mesh's VirtualServices by host and by label-aligned host suffix, with partial wildcards.

    The third part lists the (host, VS) pairs whose host is a partial wildcard (§5.1.6).
    """
    cache = cache_of(mesh)
    cached = cache.vs_host_indexes
    if cached is None:
        by_host: dict[str, list[VirtualServiceInfo]] = {}
        by_suffix: dict[str, list[VirtualServiceInfo]] = {}
        partial: list[tuple[str, VirtualServiceInfo]] = []
        for vs in mesh.virtual_services:
            for host in vs.hosts:
                by_host.setdefault(host, []).append(vs)
                for suffix in dot_suffixes(host):
                    by_suffix.setdefault(suffix, []).append(vs)
                if is_partial_wildcard(host):
                    partial.append((host, vs))
        cached = cache.vs_host_indexes = (by_host, by_suffix, tuple(partial))
    return cached


# --------------------------------------------------------------------------- 5.7 / 5.8


def _inferred_services(mesh: Mesh, scope: EgressScope, namespace: str) -> Iterator[MeshService]:
    """Services a listener's VirtualServices route to (§5.7); exclusions do not apply (8.9)."""
    port_match = _port_filter(scope.listener)
    cache = cache_of(mesh).inferred
    for vs in scope.virtual_services:
        key = (vs, namespace, port_match)
        found = cache.get(key)
        if found is None:
            holders = _namespace_free(mesh, vs)
            if holders is not None and namespace not in holders:
                # The same answer for every namespace holding none of its destinations.
                shared = (vs, None, port_match)
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
    cache = cache_of(mesh).namespace_free
    if vs in cache:
        return cache[vs]
    result: frozenset[str] | None = None
    if not any(sources for sources, _ in vs.http_destinations):
        namespaces: set[str] = set()
        for host, _port in vs.destinations_for(vs.namespace):
            holders = mesh.services_by_hostname.get(host, ())
            if any(mesh.index_rank(s, s.namespace) != 1 for s in holders):  # not public
                break
            namespaces.update(s.namespace for s in holders)
        else:
            result = frozenset(namespaces)
    cache[vs] = result
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
    key = (vs, namespace if restricted else None, port_match)
    cache = cache_of(mesh).destination_ports
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
    cache = cache_of(mesh).destinations
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
    cache = cache_of(mesh).holders
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
