"""Named ``targetPort`` values of Kubernetes Services, resolved from the pods' ports (§4.2.6).

A Service port may name its target (``targetPort: http-web``); Kubernetes and istiod look
the name up in each selected pod: the ``containerPort`` of the first container port with that
name and the same protocol (TCP unless given), in the containers and then in the native
sidecar init containers (``FindPort``). When a pod has no such port, istiod gives that pod no
inbound target for the service port. A numeric ``targetPort`` is used as written; an omitted
one means the service port number, as the API server defaults it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model.mesh._pod_specs import containers, pod_template_of
from sidecar_model.resources import KubernetesServiceSpec

if TYPE_CHECKING:
    from sidecar_model.mesh._values import MeshService, ServicePort
    from sidecar_model.resources import KubernetesServicePort, PodSpec, Resource


def target_port_name(value: object) -> str | None:
    """The port name a ``targetPort`` refers to, or None when it is a number or omitted."""
    return value if isinstance(value, str) and value else None


def find_port(spec: PodSpec | None, port: KubernetesServicePort) -> int | None:
    """The container port a pod with this spec serves a named service port on (``FindPort``)."""
    name = target_port_name(port.extra.get("targetPort"))
    protocol = port.protocol or "TCP"
    for container in containers(spec, native_sidecars=True):
        for declared in _items(container.get("ports")):
            if declared.get("name") == name and (declared.get("protocol") or "TCP") == protocol:
                number = declared.get("containerPort")
                return number if isinstance(number, int) and not isinstance(number, bool) else None
    return None


def pod_target_port(spec: PodSpec | None, service: MeshService, port: ServicePort) -> int | None:
    """The workload port a pod with ``spec`` receives ``port`` of ``service`` on, or None (§4.2.6).

    A numeric or omitted ``targetPort`` is the same for every pod. A named one is looked up
    in this pod's own container ports (:func:`find_port`); None when it declares no such
    port, and istiod then gives the pod no inbound target for the service port. With no pod
    spec to read (a WorkloadEntry, or a workload made by hand), the number every selected
    pod agrees on stands in, if there is one.
    """
    if port.target_port_name is None:
        return port.target_port or port.number
    wire = _wire_port(service, port)
    if spec is None or wire is None:
        return port.target_port
    return find_port(spec, wire)


def _wire_port(service: MeshService, port: ServicePort) -> KubernetesServicePort | None:
    """The ``spec.ports`` entry ``port`` was made from (istiod pairs them by name)."""
    source = service.source
    spec = source.spec if source is not None else None
    if not isinstance(spec, KubernetesServiceSpec):
        return None
    for wire in spec.ports:
        if (wire.name or "") == port.name and (wire.port or 0) == port.number:
            return wire
    return None


def with_named_target_ports(
    services: list[MeshService], workloads: list[Resource[Any]]
) -> list[MeshService]:
    """Give Kubernetes Service ports with a named ``targetPort`` the number their pods declare.

    The pods are the Pods and pod templates in the service's namespace whose labels its
    selector matches. When they all resolve the name to one number, that number is the
    port's ``target_port``; when none declares it, or they disagree (so each pod gets its
    own), ``target_port`` stays None and ``target_port_name`` keeps the name.
    """
    result = []
    for service in services:
        source = service.source
        spec = source.spec if source is not None else None
        named = isinstance(spec, KubernetesServiceSpec) and any(
            p.target_port_name for p in service.ports
        )
        if named and isinstance(spec, KubernetesServiceSpec) and service.selector:
            pods = _selected_pod_specs(service.namespace, service.selector, workloads)
            ports = tuple(
                attrs.evolve(port, target_port=_agreed(pods, wire))
                if port.target_port_name
                else port
                for port, wire in zip(service.ports, spec.ports, strict=True)
            )
            service = attrs.evolve(service, ports=ports)  # noqa: PLW2901
        result.append(service)
    return result


def _selected_pod_specs(
    namespace: str, selector: Mapping[str, str], workloads: list[Resource[Any]]
) -> list[PodSpec | None]:
    found = []
    for resource in workloads:
        template = pod_template_of(resource)
        if (
            template is not None
            and (resource.namespace or "default") == namespace
            and selector.items() <= template.metadata.labels.items()
        ):
            found.append(template.spec)
    return found


def _agreed(pods: list[PodSpec | None], port: KubernetesServicePort) -> int | None:
    numbers = {find_port(spec, port) for spec in pods}
    return numbers.pop() if len(numbers) == 1 else None


def _items(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, (list, tuple)):
        return []
    return [item for item in value if isinstance(item, Mapping)]
