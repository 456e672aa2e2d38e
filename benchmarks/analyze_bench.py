"""The "analyze" benchmark group: :func:`sidecar_model.analysis.analyze` against loading the mesh.

The mesh is the seeded one of ``tests/meshgen.py`` at issue 4's target size (2,000 Sidecars,
20,000 Services plus 2,000 ServiceEntries, 500 namespaces), written out as one YAML stream of
Kubernetes objects: its hand-made services become ``Service`` and ``ServiceEntry`` objects and
its workloads become ``Pod`` objects, so that loading reads what a cluster dump holds. It
reports:

* analysing the loaded mesh against loading it (``loads`` of the text plus
  ``Mesh.from_resources``), target at most 1.5 (issue 6), with every workload as a Pod;
* the same ratio with one Pod per Sidecar only, so that the Pods do not pad the load time.

Run it alone with ``python benchmarks/analyze_bench.py [--quick]``, or through
``benchmarks/run.py --group analyze``. Figures are CPU seconds (``time.process_time``).
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING, Any, Final

import standalone

from sidecar_model import dumps, loads
from sidecar_model.analysis import analyze
from sidecar_model.mesh import Mesh, ProxyType, Registry
from sidecar_model.resources import (
    EXPORT_TO_ANNOTATION,
    KubernetesServicePort,
    KubernetesServiceSpec,
    ObjectMeta,
    PodSpec,
    Resource,
    ServiceEntryPort,
    ServiceEntrySpec,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sidecar_model.mesh import MeshService, Workload

__all__ = ["measurements", "mesh_resources", "mesh_text"]

RATIO_TARGET: Final = 1.5
NETWORKING: Final = "networking.istio.io/v1"


def _maps(**maps: dict[str, str]) -> dict[str, Any]:
    # ObjectMeta's map fields convert any mapping; typed loosely for the attrs plugin.
    return dict(maps)


def _meta(service: MeshService, name: str) -> ObjectMeta:
    annotations = {}
    if service.export_to is not None and service.registry is Registry.KUBERNETES:
        annotations[EXPORT_TO_ANNOTATION] = ",".join(sorted(service.export_to))
    return ObjectMeta(
        name=name,
        namespace=service.namespace,
        creation_timestamp=service.creation_timestamp,
        **_maps(annotations=annotations),
    )


def _service(service: MeshService) -> Resource[Any]:
    if service.registry is Registry.KUBERNETES:
        headless = service.resolution == "NONE"
        return Resource(
            api_version="v1",
            kind="Service",
            metadata=_meta(service, service.name),
            spec=KubernetesServiceSpec(
                cluster_ip="None" if headless else service.address,
                selector=service.selector or {},
                ports=tuple(
                    KubernetesServicePort(name=p.name or None, port=p.number) for p in service.ports
                ),
            ),
        )
    addresses = () if service.address == "0.0.0.0" else (service.address,)  # noqa: S104
    return Resource(
        api_version=NETWORKING,
        kind="ServiceEntry",
        metadata=_meta(service, service.name),
        spec=ServiceEntrySpec(
            hosts=(service.hostname,),
            addresses=addresses,
            ports=tuple(
                ServiceEntryPort(number=p.number, name=p.name, protocol=p.protocol.value)
                for p in service.ports
            ),
            resolution=service.resolution,
            export_to=tuple(sorted(service.export_to or ())),
        ),
    )


def _pod(workload: Workload) -> Resource[Any]:
    labels = dict(workload.labels)
    if workload.proxy_type is ProxyType.ROUTER:
        labels["istio"] = "ingressgateway"
    annotations = {}
    if workload.interception_mode != "REDIRECT":
        annotations["sidecar.istio.io/interceptionMode"] = workload.interception_mode
    return Resource(
        api_version="v1",
        kind="Pod",
        metadata=ObjectMeta(
            name=workload.name,
            namespace=workload.namespace,
            **_maps(labels=labels, annotations=annotations),
        ),
        spec=PodSpec(),
    )


def mesh_resources(seed: int, knobs: dict[str, Any]) -> tuple[list[Resource[Any]], Any]:
    """The generated mesh as Kubernetes objects, and meshgen's inputs it was made from.

    The objects end with one Pod per workload, in the order of ``inputs.workloads``.
    """
    inputs = standalone.test_module("meshgen").generate_inputs(seed, **knobs)
    resources = [
        *inputs.resources,
        *(_service(s) for s in inputs.services),
        *(_pod(w) for w in inputs.workloads),
    ]
    return resources, inputs


def mesh_text(seed: int, knobs: dict[str, Any]) -> tuple[str, Any]:
    """The generated mesh as one YAML stream of Kubernetes objects, and its MeshConfig."""
    resources, inputs = mesh_resources(seed, knobs)
    return dumps(resources), inputs.config


def _load(text: str, config: Any) -> Mesh:  # noqa: ANN401 - a MeshConfig
    return Mesh.from_resources(loads(text), config=config)


def _ratio(text: str, config: Any, repeats: int) -> tuple[float, float, int]:  # noqa: ANN401
    """Best-of-``repeats`` CPU seconds of loading and of analysing; the finding count."""
    loads_seconds, analyze_seconds = [], []
    findings = 0
    for _ in range(repeats):
        seconds, _wall, mesh = standalone.cpu_seconds(lambda: _load(text, config))
        loads_seconds.append(seconds)
        seconds, _wall, found = standalone.cpu_seconds(functools.partial(analyze, mesh))
        analyze_seconds.append(seconds)
        findings = len(found)
    return min(loads_seconds), min(analyze_seconds), findings


def measurements(*, seed: int = 1, quick: bool = False) -> Iterator[standalone.Row]:
    """The group's rows: analyze / load with every workload as a Pod, and with few Pods."""
    _scale, target = standalone.target_mesh(quick=quick)
    repeats = 3 if quick else 2
    for label, knobs in (
        ("every workload a Pod", target),
        ("one Pod per Sidecar", {**target, "workloads": target["sidecars"]}),
    ):
        text, config = mesh_text(seed, knobs)
        load_s, analyze_s, findings = _ratio(text, config, repeats)
        size = ", ".join(f"{k}={v}" for k, v in knobs.items())
        yield (
            f"analyze: analyze(mesh) vs loading it, {label}",
            analyze_s / load_s,
            RATIO_TARGET,
            (
                f"analyze {analyze_s:.3f} CPU s, load {load_s:.3f} CPU s "
                f"({len(text) / 1e6:.1f} MB YAML); {findings} findings; {size}"
            ),
        )


if __name__ == "__main__":
    sys.exit(standalone.main(__doc__.splitlines()[0], measurements))
