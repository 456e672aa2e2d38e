"""Running one benchmark module on its own: ``python benchmarks/<name>_bench.py``.

Each such module exposes ``measurements(seed=, quick=)`` yielding ``(label, ratio, target,
detail)`` rows; ``run.py`` collects the same rows into its report.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

Row = tuple[str, float, "float | None", str]

__all__ = ["Row", "main"]


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
