"""Building a Mesh from loaded resources: sorting, endpoints, aliases, MeshConfig."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model._collections import FrozenDict, thaw
from sidecar_model.codec import structure
from sidecar_model.codec._embedded import structure_embedded
from sidecar_model.model import Sidecar
from sidecar_model.resources import (
    DestinationRuleSpec,
    KubernetesServiceSpec,
    Resource,
    ServiceEntrySpec,
    VirtualServiceSpec,
    WorkloadEntrySpec,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sidecar_model.mesh._mesh import Mesh
from sidecar_model.mesh._config import MeshConfig
from sidecar_model.mesh._istio import (
    _destination_rule,
    _service_entry_services,
    _sorted_destination_rules,
    _virtual_services,
)
from sidecar_model.mesh._kubernetes import _kubernetes_service, _without_owned, _workloads_of
from sidecar_model.mesh._order import _normalise_ts, _order_key
from sidecar_model.mesh._target_ports import with_named_target_ports
from sidecar_model.mesh._values import (
    WILDCARD_ADDRESS,
    DestinationRuleInfo,
    MeshService,
    Registry,
    ServiceAlias,
    Workload,
)

# --------------------------------------------------------------------------- conversion


def _build(
    cls: type[Mesh],
    resources: list[Resource[Any]],
    config: MeshConfig | None,
    services: list[MeshService],
    workloads: list[Workload],
) -> Mesh:
    mesh_config = config or _find_mesh_config(resources) or MeshConfig()
    domain = mesh_config.cluster_domain
    sidecars: list[Resource[Sidecar]] = []
    vs_resources: list[Resource[VirtualServiceSpec]] = []
    drs: list[DestinationRuleInfo] = []
    namespaces: dict[str, FrozenDict[str, str]] = {}
    workload_resources: list[Resource[Any]] = []
    for resource in resources:
        spec = resource.spec
        namespace = resource.namespace or "default"
        if isinstance(spec, Sidecar):
            sidecars.append(resource)
        elif isinstance(spec, KubernetesServiceSpec):
            services.append(_kubernetes_service(resource, spec, domain))
        elif isinstance(spec, ServiceEntrySpec):
            services.extend(_service_entry_services(resource, spec, namespace))
        elif isinstance(spec, VirtualServiceSpec):
            vs_resources.append(resource)
        elif isinstance(spec, DestinationRuleSpec):
            drs.append(_destination_rule(resource, spec, namespace, domain))
        elif resource.kind == "Namespace":
            namespaces[resource.name or ""] = resource.metadata.labels
        else:
            workload_resources.append(resource)
    services = with_named_target_ports(services, workload_resources)  # 4.2.6
    services = _with_endpoints(services, [*workloads, *_instances(workload_resources)])
    for resource in _without_owned(workload_resources):
        workloads.extend(_workloads_of(resource))
    services.sort(key=_service_sort_key)
    services = _resolve_aliases(services)
    sidecars.sort(
        key=lambda s: _order_key(
            _normalise_ts(s.metadata.creation_timestamp), s.name or "", s.namespace or ""
        )
    )
    # 3.2: a stable partition, selector Sidecars first.
    sidecars.sort(key=lambda s: s.spec.workload_selector is None)
    return cls(
        config=mesh_config,
        services=tuple(services),
        virtual_services=_virtual_services(vs_resources, mesh_config),
        destination_rules=_sorted_destination_rules(drs),
        sidecars=tuple(sidecars),
        workloads=tuple(workloads),
        namespaces=namespaces,
        resources=tuple(resources),
    )


def _instances(resources: list[Resource[Any]]) -> Iterator[Workload]:
    """The Pods and WorkloadEntries of a dump, all of them: each may be a service endpoint."""
    for resource in resources:
        if resource.kind == "Pod" or isinstance(resource.spec, WorkloadEntrySpec):
            yield from _workloads_of(resource)


def _with_endpoints(services: list[MeshService], instances: list[Workload]) -> list[MeshService]:
    """Give passthrough services with a selector the addresses of the instances it selects.

    Only services without a VIP and resolution ``NONE`` (headless Kubernetes Services,
    ServiceEntries with resolution NONE) use their endpoints in listeners (L5); their
    selector picks, in their own namespace, the Pods (by ``status.podIP``) and
    WorkloadEntries (by ``address``) whose labels include it, after any endpoints the
    service already lists (a ServiceEntry's ``endpoints``). Endpoints Kubernetes keeps
    for Services without a selector (EndpointSlices) are not read.
    """
    by_namespace: dict[str, list[Workload]] = {}
    for instance in instances:
        if instance.ip:
            by_namespace.setdefault(instance.namespace, []).append(instance)
    if not by_namespace:
        return services
    result = []
    for service in services:
        selector = service.selector
        pool = by_namespace.get(service.namespace)
        if (
            pool
            and selector
            and service.resolution == "NONE"
            and service.address == WILDCARD_ADDRESS
        ):
            found = [i.ip for i in pool if i.ip and selector.items() <= i.labels.items()]
            known = set(service.endpoints)
            extra = [ip for ip in dict.fromkeys(found) if ip not in known]
            if extra:
                service = attrs.evolve(service, endpoints=(*service.endpoints, *extra))  # noqa: PLW2901
        result.append(service)
    return result


def _resolve_aliases(services: list[MeshService]) -> list[MeshService]:
    """Give every service the ExternalName aliases that point at its hostname (§5.4 step 5).

    istiod's ``resolveServiceAliases``: each ExternalName Service (resolution ``ALIAS``)
    names a hostname; chains of ExternalNames are followed to the first name that is no
    alias (keyed by hostname only, as an ExternalName is not namespaced: when two
    namespaces' ExternalNames share a hostname the later in istiod's order wins), loops are
    dropped, and every service declaring the final hostname — Kubernetes Service or
    ServiceEntry, in any namespace — gets the aliases, sorted by namespace then hostname.
    Services nothing points at keep the aliases they were given.
    """
    raw = {(s.hostname, s.namespace): s.alias_for for s in services if s.is_alias and s.alias_for}
    if not raw:
        return services
    by_host = {host: target for (host, _), target in raw.items()}
    found: dict[str, list[ServiceAlias]] = {}
    for (host, namespace), target in raw.items():
        seen = {host, target}
        end = target
        while end in by_host:
            following = by_host[end]
            if following in seen:
                break  # a loop: Kubernetes answers NXDOMAIN, so it aliases nothing
            seen.add(following)
            end = following
        else:
            found.setdefault(end, []).append(ServiceAlias(hostname=host, namespace=namespace))
    for aliases in found.values():
        aliases.sort(key=lambda a: (a.namespace, a.hostname))
    return [
        attrs.evolve(s, aliases=found[s.hostname]) if s.hostname in found else s for s in services
    ]


def _service_sort_key(service: MeshService) -> tuple[Any, ...]:
    # 4.2.4: the "name attribute" is the hostname for ServiceEntry-derived services.
    name = service.name if service.registry is Registry.KUBERNETES else service.hostname
    return _order_key(_normalise_ts(service.creation_timestamp), name, service.namespace)


def _find_mesh_config(resources: list[Resource[Any]]) -> MeshConfig | None:
    """The first ``MeshConfig`` document, or the ``istio`` ConfigMap's ``data.mesh``.

    Problems in the ConfigMap's embedded YAML name its file, document and line.
    """
    for resource in resources:
        if resource.kind == "MeshConfig" and resource.spec is not None:
            return structure(thaw(resource.spec), MeshConfig)
        if resource.kind == "ConfigMap" and resource.name == "istio":
            data = resource.extra.get("data")
            if not isinstance(data, Mapping) or data.get("mesh") is None:
                continue
            return structure_embedded(resource, "data.mesh", MeshConfig)
    return None
