"""The pod spec behind a workload resource: a Pod's own, or a controller's pod template's.

Nothing in a pod spec is typed by the library (it is kept verbatim); the mesh reads two
things from it: the proxy container's command (§3.6.1) and the named container ports a
Service's ``targetPort`` may refer to (§4.2.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from sidecar_model.resources import CronJobSpec, PodSpec, PodTemplate, WorkloadControllerSpec

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sidecar_model.resources import Resource

#: The name of the container that runs the Istio proxy, injected or declared.
PROXY_CONTAINER: Final = "istio-proxy"


def pod_template_of(resource: Resource[Any]) -> PodTemplate | None:
    """The metadata and spec of the pods ``resource`` runs: a Pod's own, or its pod template."""
    spec = resource.spec
    if isinstance(spec, PodSpec):
        return PodTemplate(metadata=resource.metadata, spec=spec)
    if isinstance(spec, CronJobSpec):
        spec = spec.job_template.spec if spec.job_template is not None else None
    if isinstance(spec, WorkloadControllerSpec):
        return spec.template
    return None


def pod_spec_of(resource: Resource[Any]) -> PodSpec | None:
    """The spec of the pods ``resource`` runs, if it runs any."""
    template = pod_template_of(resource)
    return None if template is None else template.spec


def containers(
    spec: PodSpec | None, *, native_sidecars: bool = False
) -> Iterator[Mapping[str, Any]]:
    """The pod's ``containers``, then (with ``native_sidecars``) its native sidecar init containers.

    A native sidecar is an init container with ``restartPolicy: Always``: it runs for the
    pod's whole life, like the main containers.
    """
    if spec is None:
        return
    yield from _mappings(spec.extra.get("containers"))
    if native_sidecars:
        for container in _mappings(spec.extra.get("initContainers")):
            if container.get("restartPolicy") == "Always":
                yield container


def _mappings(value: object) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, (list, tuple)):
        yield from (item for item in value if isinstance(item, Mapping))
