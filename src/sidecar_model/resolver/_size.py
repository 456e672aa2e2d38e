"""How much outbound configuration istiod would push to a proxy: :func:`config_size`.

The counts are estimates of what Envoy receives over xDS for the outbound side of one
proxy, each following one stated rule:

``clusters``
    One per port of every service in the scope-wide union (CDS), plus one per subset of the
    DestinationRule that applies to the service, per port. ExternalName aliases get none.
``listeners``
    The outbound listeners after most-specific-port merging (LDS): ``outbound_listeners``.
``routes`` and ``virtual_hosts``
    The HTTP route configurations the outbound listeners use (RDS): one per distinct route
    name of ``outbound_listeners``; and the virtual hosts they hold together, counted as the
    hosts the first listener using each route carries.
``endpoints``
    Per service-port cluster, the addresses behind it (EDS): the service's own endpoint list
    when it has one, else the workloads its selector picks in its namespace (a Deployment
    counts once, whatever its replicas), else one for a DNS ServiceEntry (its host).

Istio's fixed clusters and listeners (passthrough, black hole, the virtual outbound
listener) are the same for every proxy and left out, so a smaller Sidecar shows as a
smaller number in each field.
"""

from __future__ import annotations

import weakref
from collections import Counter
from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model._results import Result
from sidecar_model.resolver._outbound import outbound_listeners

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sidecar_model.mesh import Mesh, MeshService
    from sidecar_model.resolver._listener_values import OutboundListener
    from sidecar_model.resolver._scope import SidecarScope
    from sidecar_model.resolver._visibility import MergedDestinationRule

__all__ = ["FIELDS", "ConfigSize", "config_size"]

#: The counted fields, in the order tables show them.
FIELDS = ("clusters", "listeners", "routes", "virtual_hosts", "endpoints")
_ALIAS = "ALIAS"


@attrs.frozen(kw_only=True)
class ConfigSize(Result):
    """Estimated outbound xDS objects of one proxy; see the module text for each rule."""

    clusters: int = 0
    listeners: int = 0
    routes: int = 0
    virtual_hosts: int = 0
    endpoints: int = 0

    def __add__(self, other: ConfigSize) -> ConfigSize:
        """Field-wise sum, for totals over workloads."""
        return ConfigSize(**{f: getattr(self, f) + getattr(other, f) for f in FIELDS})

    def fits_in(self, other: ConfigSize) -> bool:
        """Whether no field is larger than ``other``'s."""
        return all(getattr(self, f) <= getattr(other, f) for f in FIELDS)

    def __str__(self) -> str:
        """``12 clusters, 5 listeners, 2 routes, 9 virtual hosts, 30 endpoints``."""
        return ", ".join(f"{getattr(self, f)} {f.replace('_', ' ')}" for f in FIELDS)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (camelCase keys)."""
        return {
            "clusters": self.clusters,
            "listeners": self.listeners,
            "routes": self.routes,
            "virtualHosts": self.virtual_hosts,
            "endpoints": self.endpoints,
        }


@attrs.frozen
class _Shared:
    """Counts that every workload of one scope shares, and the label-dependent services.

    A service's subsets depend on the workload's labels where a DestinationRule with a
    workloadSelector in the workload's namespace applies to it.
    """

    clusters: int
    endpoints: int
    by_labels: tuple[tuple[str, int], ...]  # (hostname, ports)


class _Inventory:
    """Per-service counts: shared by meshes that differ only in their Sidecars.

    A recommendation builds such meshes (see :func:`_counts`); their services, workloads,
    DestinationRules and config are the same objects.
    """

    def __init__(self, mesh: Mesh) -> None:
        self.key = (mesh.services, mesh.workloads, mesh.destination_rules, mesh.config)
        self.endpoints: dict[int, int] = {}
        #: Per (proxy namespace, service): its clusters, or None where they depend on labels.
        self.clusters: dict[tuple[str, int, int], int | None] = {}
        self._by_label: dict[str, dict[tuple[str, str], list[tuple[frozenset[Any], int]]]] = {}
        self._indexed = False

    def endpoint_count(self, service: MeshService) -> int:
        found = self.endpoints.get(id(service))
        if found is None:
            found = self._count_endpoints(service)
            self.endpoints[id(service)] = found
        return found

    def _count_endpoints(self, service: MeshService) -> int:
        if service.endpoints:
            return len(service.endpoints)
        if service.selector:
            wanted = service.selector.items()
            index = self._label_index(service.namespace)
            # The label sets holding the rarest wanted label, then the whole selector.
            fewest = min((index.get(item, ()) for item in wanted), key=len)
            return sum(n for labels, n in fewest if wanted <= labels)
        return 1 if service.resolution == "DNS" else 0

    def _label_index(
        self, namespace: str
    ) -> dict[tuple[str, str], list[tuple[frozenset[Any], int]]]:
        """Per label of ``namespace``: the workloads' label sets holding it, with their count."""
        if not self._indexed:
            sets: dict[str, Counter[frozenset[tuple[str, str]]]] = {}
            for workload in self.key[1]:
                counts = sets.setdefault(workload.namespace, Counter())
                counts[frozenset(workload.labels.items())] += 1
            for ns, counts in sets.items():
                index = self._by_label.setdefault(ns, {})
                for labels, n in counts.items():
                    for item in labels:
                        index.setdefault(item, []).append((labels, n))
            self._indexed = True
        return self._by_label.get(namespace, {})


class _MeshCounts:
    """Per-mesh memo: workloads are many, distinct scopes, namespaces and services few."""

    def __init__(self, mesh: Mesh, inventory: _Inventory) -> None:
        self.inventory = inventory
        self.selectors: dict[str, list[Mapping[str, str]]] = {}
        for rule in mesh.destination_rules:
            if rule.selector is not None:
                self.selectors.setdefault(rule.namespace, []).append(rule.selector)
        self.shared: dict[tuple[Any, ...], _Shared] = {}
        self.subsets: dict[tuple[Any, ...], int] = {}
        # Keyed by the identity of the (cached, shared) listener tuple, which is kept alive.
        self.routes: dict[int, tuple[tuple[OutboundListener, ...], int, int]] = {}
        self.sizes: dict[tuple[Any, ...], ConfigSize] = {}


_MEMO: weakref.WeakKeyDictionary[Mesh, _MeshCounts] = weakref.WeakKeyDictionary()


def _counts(mesh: Mesh) -> _MeshCounts:
    found = _MEMO.get(mesh)
    if found is None:
        inventory = _Inventory(mesh)
        for other in list(_MEMO.values()):
            if all(a is b for a, b in zip(other.inventory.key, inventory.key, strict=True)):
                inventory = other.inventory
                break
        found = _MEMO[mesh] = _MeshCounts(mesh, inventory)
    return found


def _scope_key(scope: SidecarScope) -> tuple[Any, ...]:
    return (id(scope.sidecar), scope.namespace, scope.origin)


def _shared(scope: SidecarScope, memo: _MeshCounts) -> _Shared:
    key = _scope_key(scope)
    found = memo.shared.get(key)
    if found is None:
        clusters = endpoints = 0
        by_labels = []
        for service in scope.services:
            if service.resolution == _ALIAS:
                continue
            ports = len(service.ports)
            own = _service_clusters(scope, service, memo)
            if own is None:
                by_labels.append((service.hostname, ports))
            else:
                clusters += own
            endpoints += ports * memo.inventory.endpoint_count(service)
        found = _Shared(clusters=clusters, endpoints=endpoints, by_labels=tuple(by_labels))
        memo.shared[key] = found
    return found


def _service_clusters(scope: SidecarScope, service: MeshService, memo: _MeshCounts) -> int | None:
    """A union service's clusters, or None where a selector DestinationRule decides (4.4.5).

    The DestinationRules a proxy uses for a service depend only on its namespace and the
    service (§4.4.4): scopes of one namespace share the count.
    """
    # The scope looks the rules up for the union's service of that name (§5.9).
    key = (scope.namespace, id(service), id(scope.service(service.hostname)))
    counts = memo.inventory.clusters
    if key in counts:
        return counts[key]
    rules = scope.destination_rules(service.hostname)
    found: int | None
    if any(r.selector is not None and r.namespace == scope.namespace for r in rules):
        found = None
    else:
        found = len(service.ports) * (1 + _subsets(scope, service.hostname, rules))
    counts[key] = found
    return found


def _subsets(scope: SidecarScope, hostname: str, rules: tuple[MergedDestinationRule, ...]) -> int:
    if not rules:
        return 0
    rule = scope.destination_rule(hostname)
    return 0 if rule is None else len(rule.subsets)


def _matched(scope: SidecarScope, shared: _Shared, memo: _MeshCounts) -> tuple[bool, ...]:
    """Which selectors of the namespace's DestinationRules match the workload (4.4.5).

    Only that, of the workload's labels, changes its clusters; empty when none could.
    """
    if not shared.by_labels:
        return ()
    labels = scope.workload.labels.items()
    return tuple(selector.items() <= labels for selector in memo.selectors.get(scope.namespace, ()))


def _label_clusters(scope: SidecarScope, shared: _Shared, memo: _MeshCounts) -> int:
    """Clusters of the services whose DestinationRule depends on the workload's labels."""
    if not shared.by_labels:
        return 0
    key = (*_scope_key(scope), _matched(scope, shared, memo))
    found = memo.subsets.get(key)
    if found is None:
        found = sum(
            ports * (1 + _subsets(scope, hostname, scope.destination_rules(hostname)))
            for hostname, ports in shared.by_labels
        )
        memo.subsets[key] = found
    return found


def _routes(listeners: tuple[OutboundListener, ...], memo: _MeshCounts) -> tuple[int, int]:
    """Distinct route names of the listeners, and the hosts each route's listener carries."""
    found = memo.routes.get(id(listeners))
    if found is None:
        routes: dict[str, int] = {}
        for listener in listeners:
            if listener.route is not None:
                routes.setdefault(listener.route, len(listener.hosts))
        found = (listeners, len(routes), sum(routes.values()))
        memo.routes[id(listeners)] = found
    return found[1], found[2]


def config_size(scope: SidecarScope) -> ConfigSize:
    """Estimate the outbound configuration istiod pushes to ``scope``'s proxy.

    Each count follows the rule stated in this module's documentation. Results for workloads
    that share a scope are computed once per mesh.
    """
    memo = _counts(scope.mesh)
    shared = _shared(scope, memo)
    listeners = outbound_listeners(scope)
    key = (*_scope_key(scope), id(listeners), _matched(scope, shared, memo))
    found = memo.sizes.get(key)
    if found is None:
        routes, virtual_hosts = _routes(listeners, memo)
        found = ConfigSize(
            clusters=shared.clusters + _label_clusters(scope, shared, memo),
            listeners=len(listeners),
            routes=routes,
            virtual_hosts=virtual_hosts,
            endpoints=shared.endpoints,
        )
        memo.sizes[key] = found
    return found
