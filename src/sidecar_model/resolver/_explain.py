"""Why a hostname is, or is not, reachable from a scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model._results import Result
from sidecar_model.mesh import MeshService
from sidecar_model.mesh._values import ALIAS_RESOLUTION

if TYPE_CHECKING:
    from collections.abc import Iterator
from sidecar_model.resolver._imports import Verdict, _classify, _import_decision, _port_filter
from sidecar_model.resolver._listener_values import OutboundListener
from sidecar_model.resolver._outbound import outbound_listeners, outbound_routes
from sidecar_model.resolver._scope import EgressScope, SidecarScope, _service_dict

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
        export = ",".join(sorted(mesh.export_of(service)))
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
    port = _port_filter(egress.listener)
    label = f"egress[{egress.index}]"
    imported = [s for s in egress.services if s.hostname == hostname]
    for service in declared:
        verdict, key = _import_decision(classes, service, port)
        if verdict is Verdict.EXCLUDED:
            yield f"{label}: excluded by a '~' entry (5.4 step 1)"
        elif verdict is Verdict.UNMATCHED or key is None:
            yield f"{label}: no host entry matches it in {service.namespace} or '*' (5.4)"
        elif verdict is Verdict.NO_PORT:
            yield f"{label}: matched by key {key.key!r} but has no port {port} (5.4 step 4)"
        elif any(s.namespace == service.namespace for s in imported):
            yield f"{label}: imported from {service.namespace} by key {key.key!r} (5.4)"
        elif not scope.mesh.in_visibility_index(service, scope.namespace):
            yield f"{label}: matched by key {key.key!r} but not visible (4.2)"
        else:
            yield f"{label}: the copy in {service.namespace} lost to another namespace (5.5)"
    for vs in egress.virtual_services:
        if any(host == hostname for host, _ in vs.destinations_for(scope.namespace)):
            yield f"{label}: VirtualService {vs.namespace}/{vs.name} routes to it (5.7)"
