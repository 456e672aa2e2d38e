"""The "recommend" benchmark group: recommending Sidecars against resolving every workload.

On the target mesh of the resolve group (``tests/meshgen.py``, :data:`standalone.TARGET`),
traffic is drawn for 10% of the sidecar workloads: up to three (host, port) pairs each that
one of its outbound listeners carries today. It times, from loaded objects, building the
:class:`Mesh` and ``recommend(mesh, traffic)`` (which resolves every governed workload before
and after, and proves every kept call), against building the mesh and resolving every
workload (``resolve_bench.resolve_everything``), in the same run. Target: at most 2x.

Run it alone with ``python benchmarks/recommend_bench.py [--quick]``.
"""

from __future__ import annotations

import random
import sys
from typing import TYPE_CHECKING, Any, Final

import resolve_bench
import standalone

from sidecar_model import recommend, resolver
from sidecar_model.mesh import Mesh, ProxyType
from sidecar_model.traffic import Call, Traffic

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["measurements", "sample_traffic"]

RATIO_TARGET: Final = 2.0
TRAFFIC_SHARE: Final = 0.1
CALLS_PER_WORKLOAD: Final = 3


def sample_traffic(mesh: Mesh, seed: int, share: float = TRAFFIC_SHARE) -> Traffic:
    """Calls of ``share`` of the sidecar workloads, each to hosts its listeners carry."""
    rng = random.Random(seed)
    named: dict[tuple[str, str], Any] = {}
    for workload in mesh.workloads:
        if workload.proxy_type is ProxyType.SIDECAR:
            named.setdefault((workload.namespace, workload.name), workload)
    chosen = rng.sample(sorted(named), int(len(named) * share))
    calls = []
    for key in chosen:
        scope = resolver.compute_scope(mesh, named[key])
        pairs = [
            (host, listener.port)
            for listener in resolver.outbound_listeners(scope)
            for host in listener.hosts
            if host in mesh.services_by_hostname
        ]
        for host, port in rng.sample(pairs, min(CALLS_PER_WORKLOAD, len(pairs))):
            calls.append(Call(namespace=key[0], caller=key[1], host=host, port=port))
    return Traffic(calls=tuple(calls))


def _recommend_everything(inputs: Any, traffic: Traffic) -> Any:  # noqa: ANN401 - meshgen.Inputs
    mesh = Mesh.from_resources(
        inputs.resources, config=inputs.config, services=inputs.services, workloads=inputs.workloads
    )
    return recommend(mesh, traffic)


def measurements(*, seed: int = 1, quick: bool = False) -> Iterator[standalone.Row]:
    """One row: recommend vs resolving every workload, on the same mesh, same run."""
    meshgen = standalone.test_module("meshgen")
    _scale, knobs = standalone.target_mesh(quick=quick)
    size = ", ".join(f"{k}={v}" for k, v in knobs.items())
    inputs = meshgen.generate_inputs(seed, **knobs)
    base, base_wall, (mesh, _) = standalone.cpu_seconds(
        lambda: resolve_bench.resolve_everything(inputs)
    )
    traffic = sample_traffic(mesh, seed)
    del mesh
    seconds, wall, result = standalone.cpu_seconds(lambda: _recommend_everything(inputs, traffic))
    before = after = 0
    for row in result.savings()[-1:]:
        before, after = row.before.clusters, row.after.clusters
    yield (
        "recommend: Sidecars for 10% of workloads' traffic vs resolving every workload",
        seconds / base,
        RATIO_TARGET,
        (
            f"{seconds:.3f} CPU s ({wall:.3f} s wall) vs {base:.3f} CPU s ({base_wall:.3f} s "
            f"wall) for {size}; {len(traffic.calls)} calls, {len(result.sidecars)} Sidecars, "
            f"{len(result.kept)} kept, {len(result.sizes)} workloads resized, clusters "
            f"{before} -> {after}"
        ),
    )


if __name__ == "__main__":
    sys.exit(standalone.main(__doc__.splitlines()[0], measurements))
