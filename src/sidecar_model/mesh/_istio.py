"""Istio objects as the mesh sees them: ServiceEntries, VirtualServices, DestinationRules."""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any

from sidecar_model.model import Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sidecar_model.mesh._config import MeshConfig
    from sidecar_model.resources import (
        DestinationRuleSpec,
        HTTPRoute,
        Resource,
        ServiceEntrySpec,
        VirtualServiceSpec,
    )
from sidecar_model.mesh._delegates import merge_delegate_routes
from sidecar_model.mesh._names import _is_cidr, resolve_short_name
from sidecar_model.mesh._order import _normalise_ts, _order_key
from sidecar_model.mesh._values import (
    WILDCARD_ADDRESS,
    DestinationRuleInfo,
    MeshService,
    Registry,
    ServicePort,
    VirtualServiceInfo,
)


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
