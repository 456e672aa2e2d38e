"""What an egress listener imports from the visible services (§5.2 to §5.5)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

from sidecar_model.hosts import (
    is_partial_wildcard,
    is_wildcard,
    matches,
    parse_egress_host,
    subset_of,
)
from sidecar_model.mesh import Mesh, MeshService, Registry
from sidecar_model.model import (
    IstioEgressListener,
    Protocol,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
from sidecar_model.resolver._cache import cache_of
from sidecar_model.resolver._visibility import services_visible_to


@attrs.frozen
class _HostClass:
    """The classification of one namespace key of an egress listener (§5.2 step 5)."""

    #: The namespace key: a namespace, or ``*``.
    key: str
    exact: frozenset[str]
    all: tuple[str, ...]
    excluded: tuple[str, ...]
    #: ``*`` is among the inclusions: every name is included (a fast path, same result).
    everything: bool

    def includes(self, host: str) -> bool:
        """5.4 steps 2-3: some inclusion of this key covers ``host`` (§5.1.2, both wildcards)."""
        if self.everything or host in self.exact:
            return True
        wild = is_wildcard(host)
        return any((wild or is_wildcard(e)) and subset_of(host, e) for e in self.all)

    def excludes(self, host: str) -> bool:
        """5.4 step 1: some ``~`` entry of this key covers ``host``."""
        return bool(self.excluded) and any(subset_of(host, x) for x in self.excluded)

    def vs_matches(self, host: str) -> bool:
        """5.6: some inclusion of this key matches a VirtualService host (§5.1.3)."""
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
    classes = {
        k: _HostClass(k, frozenset(e), tuple(a), tuple(x), "*" in a) for k, (e, a, x) in raw.items()
    }
    return classes, all_exact


def _port_filter(listener: IstioEgressListener) -> int | None:
    """The port number 5.4 step 4 keeps services to, None when it keeps every port.

    5.15: HTTP_PROXY and UDS (port 0) listeners keep every port, as does the catch-all.
    """
    port = listener.port
    if port is None or not port.number or port.parsed_protocol is Protocol.HTTP_PROXY:
        return None
    return port.number


class Verdict(enum.Enum):
    """What §5.4 decides for one visible service of an egress listener."""

    IMPORTED = "imported"
    #: Step 1: a ``~`` entry of the service's namespace key or of ``*`` excludes its hostname.
    EXCLUDED = "excluded"
    #: Steps 2-3: neither the service's namespace key nor ``*`` includes its hostname.
    UNMATCHED = "unmatched"
    #: Step 4: matched, but the service has no port with the listener's number.
    NO_PORT = "no port"


def _import_decision(
    classes: dict[str, _HostClass], service: MeshService, port: int | None
) -> tuple[Verdict, _HostClass | None]:
    """§5.4 steps 1 to 4 for one visible service: the verdict, and the key that matched.

    ``classes`` are the listener's keys (:func:`_classify`), ``port`` its
    :func:`_port_filter`. The key is the service namespace's when it includes the hostname
    (step 2), else ``*`` (step 3); step 5 keeps the aliases that key includes. Exclusions
    come first whatever the order of the entries.
    """
    host = service.hostname
    own = classes.get(service.namespace)
    star = classes.get("*")
    if (own is not None and own.excluded and own.excludes(host)) or (
        star is not None and star.excluded and star.excludes(host)
    ):
        return Verdict.EXCLUDED, None
    if own is not None and own.includes(host):
        key = own
    elif star is not None and star.includes(host):
        key = star
    else:
        return Verdict.UNMATCHED, None
    if port is not None and service.port(port) is None:
        return Verdict.NO_PORT, key
    return Verdict.IMPORTED, key


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
    port = _port_filter(listener)
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
                _alias_trimmed(mesh, s, _import_decision(classes, s, None)[1]) if s.aliases else s
                for s in chosen
            ]
        return _one_namespace_per_host(mesh, chosen, namespace)
    imported = []
    numbers = (port,) if port is not None else ()
    trims = cache_of(mesh).trims
    for service in candidates:
        verdict, key = _import_decision(classes, service, port)
        if verdict is not Verdict.IMPORTED:
            continue
        if port is not None:
            trim_key = (service, numbers)
            trimmed = trims[trim_key] if trim_key in trims else _trimmed(mesh, service, numbers)
            assert trimmed is not None  # noqa: S101 - the decision found the port
            service = trimmed  # noqa: PLW2901
        if service.aliases:
            service = _alias_trimmed(mesh, service, key)  # noqa: PLW2901
        imported.append(service)
    return _one_namespace_per_host(mesh, imported, namespace)


def _alias_trimmed(mesh: Mesh, service: MeshService, key: _HostClass | None) -> MeshService:
    """5.4 step 5: keep the aliases included by ``key``, the key that imported ``service``.

    Exclusions do not apply to aliases (istiod's ``matchingAliasService``).
    """
    if key is None:
        return service
    kept = tuple(a for a in service.aliases if key.includes(a.hostname))
    if len(kept) == len(service.aliases):
        return service
    cache = cache_of(mesh).alias_trims
    found = cache.get((service, kept))
    if found is None:
        found = cache[service, kept] = attrs.evolve(service, aliases=kept)
    return found


def _exact_candidates(
    mesh: Mesh, classes: dict[str, _HostClass], namespace: str
) -> list[MeshService]:
    # 5.3 fast path: (host, namespace) lookups, visible by the predicate, creation order.
    found: dict[MeshService, None] = {}
    index = mesh.service_by_host_and_namespace
    for key, cls in classes.items():
        for host in cls.exact:
            service = index.get((host, key))
            if service is not None and mesh.service_visible(service, namespace):
                found[service] = None
    return sorted(found, key=mesh.service_order.__getitem__)


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
    found: dict[MeshService, None] = {}
    for key, cls in classes.items():
        in_namespace = None if key == "*" else key
        if in_namespace is not None and any(_needs_scan(e) for e in cls.all):
            found.update(dict.fromkeys(mesh.services_by_namespace.get(key, ())))
            continue
        for host in cls.all:
            pool = (
                mesh.services_by_suffix.get(host[1:], ())
                if is_wildcard(host)
                else mesh.services_by_hostname.get(host, ())
            )
            for service in pool:
                if in_namespace is None or service.namespace == in_namespace:
                    found[service] = None
    # 4.2.4: keep what the visibility index lists for the namespace, in its order (the
    # namespace's bucket first, then the public list, each in creation order).
    listing = mesh.listing
    ranked = []
    for service in found:
        targets, position = listing[service]
        if targets is None:
            ranked.append((1, position, service))
        elif namespace in targets:
            ranked.append((0, position, service))
    ranked.sort(key=lambda item: item[:2])
    return [service for _, _, service in ranked]


def _needs_scan(entry: str) -> bool:
    # '*' covers everything; a partial wildcard ('*foo.com') is not label-aligned (5.1.6).
    return entry == "*" or is_partial_wildcard(entry)


def _trimmed(mesh: Mesh, service: MeshService, numbers: tuple[int, ...]) -> MeshService | None:
    """``service`` keeping only the given port numbers, shared between scopes; None if none."""
    cache = cache_of(mesh).trims
    key = (service, numbers)
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
