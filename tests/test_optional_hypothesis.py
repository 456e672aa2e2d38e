"""Hypothesis is an optional extra, and its entry point stays cheap.

Each check runs in a fresh interpreter: this one has imported Hypothesis for the property
tests already. Hypothesis runs the hooks of the ``hypothesis`` entry point group while it is
imported; the scripts see the entry points of ``pyproject.toml`` (not those of whatever copy
is installed) through a distribution directory placed ahead of any installed one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    Runner = Callable[[str], None]

ROOT = Path(__file__).parent.parent


def _entry_point() -> str:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(
        r'^\[project\.entry-points\.hypothesis\]\n_ = "(.+)"$', pyproject, re.MULTILINE
    )
    assert found is not None
    return found[1]


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    """Run a script in a fresh interpreter that has this tree's entry points."""
    dist = tmp_path / "sidecar_model-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: sidecar-model\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        f"[hypothesis]\n_ = {_entry_point()}\n", encoding="utf-8"
    )
    path = os.pathsep.join([str(tmp_path), str(ROOT / "src")])

    def run(script: str) -> None:
        done = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, "-c", textwrap.dedent(script)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": path},
        )
        assert done.returncode == 0, done.stderr

    return run


def test_importing_the_library_does_not_import_hypothesis(run: Runner) -> None:
    run("""
        import pkgutil, sys
        import sidecar_model

        def walk(package):
            for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
                name = module.name
                if name.rpartition(".")[2] in {"strategies", "_hypothesis", "__main__"}:
                    continue
                imported = __import__(name, fromlist=["_"])
                if module.ispkg:
                    walk(imported)

        walk(sidecar_model)
        assert "hypothesis" not in sys.modules, sorted(m for m in sys.modules if "hypothesis" in m)
        """)


def test_importing_hypothesis_does_not_import_the_library(run: Runner) -> None:
    run("""
        import sys
        import hypothesis
        assert "_sidecar_model_hypothesis" in sys.modules  # the hook ran
        assert not [m for m in sys.modules if m.partition(".")[0] == "sidecar_model"]
        """)


def test_strategies_import_in_a_fresh_interpreter(run: Runner) -> None:
    run("""
        from sidecar_model import strategies
        assert strategies.sidecars() is not None
        """)


@pytest.mark.parametrize(
    "imports",
    [
        "import hypothesis\nimport sidecar_model",
        "import sidecar_model\nimport hypothesis",
        "from sidecar_model import strategies",
    ],
    ids=["hypothesis-first", "library-first", "strategies-only"],
)
def test_from_type_yields_valid_objects_whatever_the_import_order(
    run: Runner, imports: str
) -> None:
    run(
        imports
        + """
from hypothesis import given, settings, strategies as st
from sidecar_model import Port, Resource, Sidecar, validate

@settings(max_examples=30, database=None, deadline=None)
@given(st.from_type(Sidecar), st.from_type(Resource[Sidecar]), st.from_type(Port))
def check(sidecar, resource, port):
    assert not validate(sidecar).diagnostics
    assert not validate(resource).diagnostics
    assert 1 <= port.number <= 65535

check()
"""
    )
