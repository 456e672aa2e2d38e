"""Which services, VirtualServices and DestinationRules a namespace sees (§4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model._collections import FrozenDict
from sidecar_model._results import Result
from sidecar_model.mesh import DestinationRuleInfo, Mesh, MeshService, VirtualServiceInfo
from sidecar_model.mesh._index import HostIndex
from sidecar_model.mesh._values import MESH_GATEWAY

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sidecar_model.resources import Resource, VirtualServiceSpec
from sidecar_model.resolver._cache import cache_of
from sidecar_model.resolver._selection import _labels_match

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
    # A VS exported to its own namespace by name and to others is listed once (4.3.3).
    return tuple(
        dict.fromkeys((*private.get(namespace, ()), *exported.get(namespace, ()), *public))
    )


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
    cache = cache_of(mesh)
    if cache.dr_pools is not None:
        return cache.dr_pools
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
    cache.dr_pools = pools
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
