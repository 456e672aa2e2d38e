"""Developer and CI sessions: ``nox -s tests typecheck lint docs`` is what CI runs.

Each session gets its own virtual environment on the Python that runs nox. Tool versions
live in ``pyproject.toml`` (extras for the package's users, dependency groups for the rest).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "typecheck", "lint", "docs", "notebook"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
BENCHMARKS = ROOT / "benchmarks"
PROPERTY_EXAMPLES = "2000"


def _group(name: str) -> tuple[str, ...]:
    """Return the requirements of a ``[dependency-groups]`` entry in ``pyproject.toml``."""
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite and every example in the docs and docstrings.

    The docs extra is installed too: a test builds the HTML to check every rule's anchor.
    """
    session.install("-e", ".[test,docs]")
    # The property lane runs here too, with its small default example budget.
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs)


@nox.session(name="property")
def property_tests(session: nox.Session) -> None:
    """Run the property-based tests with a large example budget."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "-m",
        "property",
        "tests/property",
        *session.posargs,
        env={"SIDECAR_MODEL_PROPERTY_EXAMPLES": PROPERTY_EXAMPLES},
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    """Check types with mypy --strict over the library, tests, benchmarks and this file."""
    session.install("-e", ".[test,hypothesis]", *_group("typecheck"))
    paths = ["src", "tests", "noxfile.py"]
    if BENCHMARKS.is_dir():
        paths.append("benchmarks")
    session.run("mypy", "--strict", *paths)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML docs, treating every warning as an error."""
    session.install("-e", ".[docs]")
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks; arguments after ``--`` go to ``benchmarks/run.py``."""
    session.install("-e", ".")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def notebook(session: nox.Session) -> None:
    """Execute every notebook under docs/notebooks in a real Jupyter kernel."""
    session.install("-e", ".", "nbclient", "ipykernel", "nbformat")
    session.run("python", "tests/notebooks/run_notebooks.py", *session.posargs)


@nox.session
def fuzz(session: nox.Session) -> None:
    """Fuzz ``loads`` and ``validate`` with atheris: ``nox -s fuzz -- [seconds] [flags]``.

    Runs for 300 seconds by default from a fresh copy of the seed corpus; any exception
    that is not a SidecarModelError is a finding, saved under the session's tmp folder.
    """
    session.install("-e", ".", "atheris")
    budget, *flags = session.posargs or ["300"]
    tmp = Path(session.create_tmp())
    corpus, artifacts = tmp / "corpus", tmp / "artifacts"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(ROOT / "tests" / "fuzz" / "corpus", corpus)
    artifacts.mkdir(exist_ok=True)
    session.run(
        "python",
        "tests/fuzz/fuzz_loads.py",
        str(corpus),
        f"-max_total_time={int(budget)}",
        "-timeout=10",
        "-rss_limit_mb=2048",
        f"-dict={ROOT / 'tests' / 'fuzz' / 'yaml.dict'}",
        f"-artifact_prefix={artifacts}/",
        "-print_final_stats=1",
        *flags,
    )
