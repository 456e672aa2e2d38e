"""Hypothesis is an optional extra: importing the library must not import it."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import pkgutil, sys
import sidecar_model
for module in pkgutil.walk_packages(sidecar_model.__path__, "sidecar_model."):
    if module.name.rpartition(".")[2] not in {"strategies", "_hypothesis", "__main__"}:
        __import__(module.name)
assert "hypothesis" not in sys.modules, sorted(m for m in sys.modules if "hypothesis" in m)
"""


def test_importing_the_library_does_not_import_hypothesis() -> None:
    # A fresh interpreter: this one has imported Hypothesis for the property tests already.
    done = subprocess.run(  # noqa: S603 - our own script
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
