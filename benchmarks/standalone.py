"""What the mesh benchmark modules share, and running one on its own.

Each ``benchmarks/<name>_bench.py`` exposes ``measurements(seed=, quick=)`` yielding
``(label, ratio, target, detail)`` rows; ``run.py`` collects the same rows into its report,
and ``python benchmarks/<name>_bench.py`` prints them through :func:`main`.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import ModuleType

#: (label, ratio, target or None, detail), as benchmarks/run.py's Measurement takes them.
Row = tuple[str, float, "float | None", str]

__all__ = ["ROOT", "TARGET", "Row", "cpu_seconds", "main", "target_mesh", "test_module"]

ROOT: Final = Path(__file__).resolve().parent.parent
#: The acceptance mesh of issue 4 (resolution), which issue 6 (analysis) reuses.
TARGET: Final = {
    "namespaces": 500,
    "services": 20_000,
    "service_entries": 2_000,
    "sidecars": 2_000,
    "workloads": 50_000,
    "scan_share": 0.005,
}


def target_mesh(*, quick: bool) -> tuple[float, dict[str, Any]]:
    """The scale and the mesh knobs to measure: :data:`TARGET`, or a tenth of it if ``quick``."""
    scale = 0.1 if quick else 1.0
    knobs = {k: (v if k == "scan_share" else max(1, int(v * scale))) for k, v in TARGET.items()}
    return scale, knobs


def test_module(name: str) -> ModuleType:
    """A module of tests/ (the mesh generator, the reference resolver), loaded by file once.

    tests/ is not a package on sys.path, so it is loaded by its file name.
    """
    if name in sys.modules:
        return sys.modules[name]
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    assert spec is not None  # noqa: S101 - the file is part of this repository
    assert spec.loader is not None  # noqa: S101
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def cpu_seconds(call: Callable[[], Any]) -> tuple[float, float, Any]:
    """Run ``call``; return its CPU seconds, wall seconds and result.

    What exists before the run is frozen out of the collector's scans first (issue 4's
    measured fact: otherwise most of the time goes to rescanning the built mesh).
    """
    gc.collect()
    gc.freeze()
    try:
        start, wall = time.process_time(), time.perf_counter()
        result = call()
        return time.process_time() - start, time.perf_counter() - wall, result
    finally:
        gc.unfreeze()


def main(description: str, measurements: Callable[..., Iterable[Row]]) -> int:
    """Print the rows; exit 1 if one misses its target and ``--check`` is given."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a tenth of the target mesh")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="fail when a target is missed")
    args = parser.parse_args()
    missed = False
    for label, ratio, goal, detail in measurements(seed=args.seed, quick=args.quick):
        miss = goal is not None and ratio > goal
        missed |= miss
        target = "context" if goal is None else f"target <= {goal:.3g}"
        print(f"{label}: {ratio:.3f} ({target})  [{detail}]{'  MISSED' if miss else ''}")
    return 1 if missed and args.check else 0
