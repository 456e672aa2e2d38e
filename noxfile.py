"""Developer and CI sessions: ``nox -s tests typecheck lint docs`` is what CI runs.

Each session gets its own virtual environment on the Python that runs nox. Tool versions
live in ``pyproject.toml`` (extras for the package's users, dependency groups for the rest).
"""

from __future__ import annotations

import os
import re
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
        # The share of examples reaching each branch and each property's precondition.
        "--hypothesis-show-statistics",
        "tests/property",
        *session.posargs,
        env={"SIDECAR_MODEL_PROPERTY_EXAMPLES": PROPERTY_EXAMPLES},
    )


@nox.session
def mutate(session: nox.Session) -> None:
    """Mutation-test hosts, mesh, resolver, validation and codec with mutmut (not in CI).

    mutmut copies the project to ``mutants/``, changes one small thing at a time in the
    modules ``[tool.mutmut]`` in ``pyproject.toml`` names, and runs the tests covering the
    changed line. A change no test notices survives. The kill rate per module and every
    survivor go to ``mutants/report.txt``; ``mutmut show NAME`` prints a survivor's change.
    ``nox -s mutate -- NAME...`` reruns chosen mutants; ``MUTATE_CHILDREN`` bounds the
    parallel test runs (default 2).
    """
    session.install("-e", ".[test]", *_group("mutate"))
    children = os.environ.get("MUTATE_CHILDREN", "2")
    session.run("mutmut", "run", "--max-children", children, *session.posargs)
    listing = session.run("mutmut", "results", "--all", "true", silent=True)
    report = ROOT / "mutants" / "report.txt"
    report.write_text(_mutation_report(str(listing)), encoding="utf-8")
    session.log(f"kill rates and survivors: {report}")


def _mutation_report(listing: str) -> str:
    """Kill rate per module, then the survivors, from ``mutmut results --all true``."""
    outcomes: dict[str, dict[str, list[str]]] = {}
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        found = re.match(r"sidecar_model\.(\w+)", name)
        if found is None:
            continue
        outcomes.setdefault(found.group(1), {}).setdefault(status, []).append(name)
    lines = ["module        killed / total   kill rate"]
    for module, by_status in sorted(outcomes.items()):
        total = sum(len(names) for names in by_status.values())
        killed = len(by_status.get("killed", []))
        lines.append(f"{module:<13} {killed:>6} / {total:<7} {killed / total:>8.1%}")
    for module, by_status in sorted(outcomes.items()):
        for status, names in sorted(by_status.items()):
            if status != "killed":
                lines.append(f"\n{module}: {status} ({len(names)})")
                lines.extend(f"  {name}" for name in names)
    return "\n".join(lines) + "\n"


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
