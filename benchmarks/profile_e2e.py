"""Where the time of issue 18's end-to-end steps goes: cProfile and a few direct probes.

Writes the e2e group's dumps (``e2e_bench.write_dumps``) into a folder once, then profiles
one step per call and prints the functions with the most own time (and, for the steps
built from a few big parts, the cumulative time of those parts)::

    python benchmarks/profile_e2e.py --quick write /tmp/e2e          # the dumps
    python benchmarks/profile_e2e.py load-yaml /tmp/e2e              # Mesh.load of dump.yaml
    python benchmarks/profile_e2e.py load-json /tmp/e2e
    python benchmarks/profile_e2e.py load-realistic /tmp/e2e
    python benchmarks/profile_e2e.py analyze /tmp/e2e                # analyze(mesh) only
    python benchmarks/profile_e2e.py resolve /tmp/e2e                # scopes + listeners
    python benchmarks/profile_e2e.py per-workload /tmp/e2e           # routes, inbound, DRs
    python benchmarks/profile_e2e.py gc /tmp/e2e                     # collections while resolving
    python benchmarks/profile_e2e.py teardown /tmp/e2e               # exit of a loaded process

Figures are CPU seconds; cProfile roughly doubles the time of Python-heavy code, so its
shares matter, not its totals.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import e2e_bench
import standalone

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["main"]

TOP: Final = 30
#: Functions whose cumulative time tells the big parts of a step apart.
PARTS: Final = (
    "get_node",
    "build",
    "structure_resource",
    "_structure_metadata",
    "freeze",
    "_unique_keys",
    "loads",
    "_build",
    "from_resources",
    "analyze",
    "locate",
    "root",
    "compose_all",
    "compute_scope",
    "outbound_listeners",
    "outbound_routes",
    "inbound_listeners",
    "destination_rule",
    "destination_rules_for",
    "_dr_for_proxy",
)


def profiled(call: Callable[[], object], top: int = TOP) -> str:
    """Run ``call`` under cProfile; its CPU seconds, the top own-time functions, the parts."""
    profile = cProfile.Profile(time.process_time)
    gc.collect()
    start = time.process_time()
    profile.enable()
    call()
    profile.disable()
    total = time.process_time() - start
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    parts = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (_file, _line, name), (_cc, calls, _tt, cumulative, _callers) in raw.items():
        if any(name == part or name.endswith(f"'{part}'>") for part in PARTS):
            parts.append((cumulative, f"{name} ({calls} calls)"))
    lines = [f"{cumulative:8.3f} s cumulative  {name}" for cumulative, name in sorted(parts)[::-1]]
    return f"total {total:.3f} CPU s under cProfile\n" + "\n".join(lines) + "\n" + out.getvalue()


def _mesh(folder: Path, name: str = "dump.yaml") -> Any:  # noqa: ANN401 - a Mesh
    from sidecar_model import Mesh  # noqa: PLC0415 - imported late, as in run.py

    return Mesh.load(folder / name)


def _write(folder: Path, *, quick: bool, pods: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _scale, knobs = standalone.target_mesh(quick=quick)
    dumps = e2e_bench.write_dumps(folder, 1, knobs, pods)
    (folder / "workload.txt").write_text(dumps.workload, encoding="utf-8")
    for path in (dumps.yaml, dumps.json, dumps.realistic):
        print(f"{path}: {path.stat().st_size / 1e6:.1f} MB")


def _analyze(folder: Path) -> None:
    from sidecar_model.analysis import analyze  # noqa: PLC0415

    mesh = _mesh(folder)
    print(profiled(lambda: analyze(mesh)))


def _resolve(folder: Path) -> None:
    mesh = _mesh(folder)
    print(profiled(lambda: e2e_bench.resolve_all(mesh)))


def _per_workload(folder: Path) -> None:
    from sidecar_model import resolver  # noqa: PLC0415

    mesh = _mesh(folder)
    e2e_bench.resolve_all(mesh)
    cores: dict[int, Any] = {}
    for workload in mesh.workloads:
        scope = resolver.compute_scope(mesh, workload)
        cores.setdefault(id(scope._core), scope)  # noqa: SLF001 - counting distinct scopes
    start = time.process_time()
    once = e2e_bench.per_workload(mesh, [cores[key].workload for key in cores])
    per_scope = time.process_time() - start
    print(
        f"{len(mesh.workloads)} workloads share {len(cores)} scopes; the three parts once per "
        f"scope (one workload each): {per_scope:.3f} CPU s "
        + ", ".join(f"{k} {v:.3f} s" for k, v in once.items())
    )
    print(profiled(lambda: e2e_bench.per_workload(mesh)))


def _gc(folder: Path) -> None:
    """Collections (and their pause) while every workload is resolved, the collector on."""
    pauses: list[tuple[int, float, int]] = []
    started: list[float] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        else:
            pauses.append(
                (info["generation"], time.perf_counter() - started.pop(), info["collected"])
            )

    for mode in ("enabled", "frozen", "disabled"):
        mesh = _mesh(folder)
        gc.collect()
        if mode == "frozen":
            gc.freeze()
        elif mode == "disabled":
            gc.disable()
        pauses.clear()
        gc.callbacks.append(watch)
        start = time.process_time()
        e2e_bench.resolve_all(mesh)
        seconds = time.process_time() - start
        gc.callbacks.remove(watch)
        gc.enable()
        gc.unfreeze()
        full = [p for p in pauses if p[0] == 2]  # the oldest generation
        print(
            f"resolve, collector {mode}: {seconds:.3f} CPU s; {len(pauses)} collections "
            f"taking {sum(p[1] for p in pauses):.3f} s, of them {len(full)} full ones taking "
            f"{sum(p[1] for p in full):.3f} s (objects tracked before: {len(gc.get_objects())})"
        )
        del mesh


_TEARDOWN: Final = """
import os, sys, time
from sidecar_model import Mesh
mesh = Mesh.load(sys.argv[1])
print(time.process_time(), flush=True)
if sys.argv[2] == "skip":
    os._exit(0)
"""


def _teardown(folder: Path) -> None:
    """CPU seconds of a process that loads the dump, exiting normally or with os._exit."""
    env = dict(os.environ, PYTHONPATH=str(standalone.ROOT / "src"))
    for how in ("normal", "skip"):
        start = os.times()
        output = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", _TEARDOWN, str(folder / "dump.yaml"), how],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        end = os.times()
        cpu = end.children_user + end.children_system - start.children_user - start.children_system
        loaded = float(output.split()[-1])
        print(f"exit {how}: {cpu:.3f} CPU s in all, {cpu - loaded:.3f} s after loading")


def main() -> int:
    """Run one step, as the command line says."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "step",
        choices=(
            "write",
            "load-yaml",
            "load-json",
            "load-realistic",
            "analyze",
            "resolve",
            "per-workload",
            "gc",
            "teardown",
        ),
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--quick", action="store_true", help="write: a tenth of the target mesh")
    parser.add_argument("--realistic-pods", type=int, default=1000, help="write: injected Pods")
    args = parser.parse_args()
    folder: Path = args.folder
    steps: dict[str, Callable[[], None]] = {
        "write": lambda: _write(folder, quick=args.quick, pods=args.realistic_pods),
        "load-yaml": lambda: print(profiled(lambda: _mesh(folder))),
        "load-json": lambda: print(profiled(lambda: _mesh(folder, "dump.json"))),
        "load-realistic": lambda: print(profiled(lambda: _mesh(folder, "realistic.yaml"))),
        "analyze": lambda: _analyze(folder),
        "resolve": lambda: _resolve(folder),
        "per-workload": lambda: _per_workload(folder),
        "gc": lambda: _gc(folder),
        "teardown": lambda: _teardown(folder),
    }
    steps[args.step]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
