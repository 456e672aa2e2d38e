"""The "resolve" benchmark group: selection, scopes and outbound listeners for every workload.

On a seeded mesh (``tests/meshgen.py``) of N namespaces, S Kubernetes Services plus
ServiceEntries, K Sidecars and W workloads, it times, from loaded objects (resources,
services and workloads in memory; no YAML parsing), building the :class:`Mesh` and then
``compute_scope`` and ``outbound_listeners`` for every workload. It reports:

* the time against the 2 s budget of the target mesh (W=50,000, S=20,000 + 2,000
  ServiceEntries, K=2,000, N=500);
* the speed-up over the brute-force reference of ``tests/resolver_reference.py`` on the
  same mesh. The reference has no index and no cache, so it is timed on a sample of the
  distinct (Sidecar, namespace) scopes and of the workloads and extrapolated to all of them;
* the growth exponent in S and in K, fitted (least squares on log-log) over several sizes;
* the peak resident memory of the process.

Run it alone with ``python benchmarks/resolve_bench.py [--quick]``, or through
``benchmarks/run.py`` once :func:`measurements` is hooked into its group registry.
Figures are CPU seconds (``time.process_time``), which a busy two-core runner disturbs
less than wall-clock time.
"""

from __future__ import annotations

import math
import random
import resource
import sys
import time
from typing import TYPE_CHECKING, Any, Final

import standalone

from sidecar_model import resolver
from sidecar_model._results import gc_paused
from sidecar_model.mesh import Mesh, ProxyType
from sidecar_model.resolver._cache import cache_of
from sidecar_model.resolver._selection import _select_position

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

__all__ = ["measurements", "resolve_everything"]

BUDGET_SECONDS: Final = 2.0
SPEEDUP_TARGET: Final = 8.0
EXPONENT_TARGET: Final = 1.1
#: Distinct scopes and workloads on which the (slow) reference is actually run.
REFERENCE_SCOPES: Final = 40
REFERENCE_WORKLOADS: Final = 200


def resolve_everything(inputs: Any) -> tuple[Mesh, int]:  # noqa: ANN401 - meshgen.Inputs
    """Build the mesh from ``inputs`` and resolve every workload; return it and a checksum.

    Bulk work runs with the cyclic collector paused, as the codec's ``loads`` does: it
    allocates many objects that all survive, which the collector would rescan again and again.
    """
    mesh = Mesh.from_resources(
        inputs.resources,
        config=inputs.config,
        services=inputs.services,
        workloads=inputs.workloads,
    )
    total = 0
    with gc_paused():
        for workload in mesh.workloads:
            scope = resolver.compute_scope(mesh, workload)
            total += len(resolver.outbound_listeners(scope))
    return mesh, total


#: Wall-clock seconds of each timed run, for the report (CPU seconds are the measure).
_WALL: list[float] = []


def _timed_run(meshgen: ModuleType, seed: int, knobs: dict[str, Any]) -> tuple[float, Mesh]:
    inputs = meshgen.generate_inputs(seed, **knobs)
    seconds, wall, (mesh, _) = standalone.cpu_seconds(lambda: resolve_everything(inputs))
    _WALL.append(wall)
    return seconds, mesh


def _reference_seconds(reference: ModuleType, mesh: Mesh, seed: int) -> tuple[float, int]:
    """Extrapolated seconds for the reference to do what the timed run did."""
    rng = random.Random(seed)
    by_scope: dict[tuple[int, str], Any] = {}
    for workload in mesh.workloads:
        if workload.proxy_type is ProxyType.SIDECAR:
            # The scope's key: the chosen Sidecar's position in mesh.sidecars (-1: none).
            position, _ = _select_position(mesh, workload)
            by_scope.setdefault(
                (-1 if position is None else position, workload.namespace), workload
            )
    keys = sorted(by_scope, key=lambda k: (k[1], k[0]))
    sample = rng.sample(keys, min(REFERENCE_SCOPES, len(keys)))
    start = time.process_time()
    for key in sample:
        reference.scope(mesh, by_scope[key])
    per_scope = (time.process_time() - start) / max(1, len(sample))
    people = rng.sample(list(mesh.workloads), min(REFERENCE_WORKLOADS, len(mesh.workloads)))
    start = time.process_time()
    for workload in people:
        reference.select(mesh, workload)
    per_workload = (time.process_time() - start) / max(1, len(people))
    return per_scope * len(keys) + per_workload * len(mesh.workloads), len(keys)


def _exponent(points: list[tuple[float, float]]) -> float:
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def measurements(*, seed: int = 1, quick: bool = False) -> Iterator[standalone.Row]:
    """The group's rows: budget, speed-up over the reference, growth exponents, memory."""
    meshgen = standalone.test_module("meshgen")
    reference = standalone.test_module("resolver_reference")
    scale = 0.1 if quick else 1.0
    target = {
        k: (v if k == "scan_share" else max(1, int(v * scale)))
        for k, v in standalone.TARGET.items()
    }
    size = ", ".join(f"{k}={v}" for k, v in target.items())
    seconds, mesh = _timed_run(meshgen, seed, target)
    budget = BUDGET_SECONDS * scale
    scopes = len(cache_of(mesh).scopes)
    yield (
        "resolve: mesh + scopes + outbound listeners, every workload vs budget",
        seconds / budget,
        1.0,
        (
            f"{seconds:.3f} CPU s ({_WALL[-1]:.3f} s wall) for {size}; "
            f"{scopes} distinct scopes; budget {budget:.1f} s"
        ),
    )
    ref_seconds, distinct = _reference_seconds(reference, mesh, seed)
    yield (
        "resolve: indexed resolver vs brute-force reference (extrapolated)",
        seconds / ref_seconds,
        1 / SPEEDUP_TARGET,
        (
            f"{seconds:.3f} s vs ~{ref_seconds:.1f} s; {ref_seconds / seconds:.1f}x faster; "
            f"reference timed on {min(REFERENCE_SCOPES, distinct)} of {distinct} scopes"
        ),
    )
    del mesh
    for knob in ("services", "sidecars"):
        points = []
        for factor in (0.25, 0.5, 1.0):
            knobs = dict(target)
            knobs[knob] = max(1, int(target[knob] * factor))
            if knob == "services":
                knobs["service_entries"] = max(1, int(target["service_entries"] * factor))
            run_seconds, _ = _timed_run(meshgen, seed, knobs)
            points.append((float(knobs[knob]), run_seconds))
        detail = "; ".join(f"{int(x)}: {y:.3f} s" for x, y in points)
        yield (f"resolve: growth exponent in {knob}", _exponent(points), EXPONENT_TARGET, detail)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    yield ("resolve: peak resident memory (MiB, context)", peak, None, f"{peak:.0f} MiB ru_maxrss")


if __name__ == "__main__":
    sys.exit(standalone.main(__doc__.splitlines()[0], measurements))
