"""Execute every notebook under ``docs/notebooks`` with a real Jupyter kernel.

Each notebook runs top to bottom in a fresh ``python3`` kernel (ipykernel) started by
nbclient, from the notebook's own folder; any cell that raises fails the run. Outputs are
thrown away: the committed notebooks stay stripped, and this script also fails when one is
not. ``nox -s notebook`` runs it; by hand::

    python tests/notebooks/run_notebooks.py [notebook.ipynb ...]

Exit status 0 when every notebook ran cleanly, 1 otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# nox's typecheck session does not install the notebook tools; both are typed when present.
import nbformat  # type: ignore[import-not-found, unused-ignore]
from nbclient import NotebookClient  # type: ignore[import-not-found, unused-ignore]
from nbclient.exceptions import CellExecutionError  # type: ignore[import-not-found, unused-ignore]
from nbformat import NotebookNode  # type: ignore[import-not-found, unused-ignore]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "docs" / "notebooks"
#: Seconds one cell may take before the run counts as failed.
CELL_TIMEOUT = 120


def read(path: Path) -> NotebookNode:
    """The notebook at ``path``, checked against the nbformat 4 schema."""
    notebook: NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call, unused-ignore]
    nbformat.validate(notebook)
    return notebook


def stripped(notebook: NotebookNode) -> bool:
    """Whether ``notebook`` is committed without outputs or execution counts."""
    return all(
        not cell.get("outputs") and cell.get("execution_count") is None
        for cell in notebook.cells
        if cell.cell_type == "code"
    )


def execute(notebook: NotebookNode, folder: Path) -> str | None:
    """Run ``notebook`` in a fresh kernel from ``folder``; return the error text, or None."""
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        return str(error)
    return None


def main(argv: list[str]) -> int:
    """Execute the notebooks named in ``argv``, or every one under ``docs/notebooks``."""
    paths = [Path(arg) for arg in argv] or sorted(NOTEBOOKS.glob("*.ipynb"))
    if not paths:
        sys.stderr.write(f"no notebooks found under {NOTEBOOKS}\n")
        return 1
    failed = 0
    for path in paths:
        start = time.perf_counter()
        notebook = read(path)
        problem = None if stripped(notebook) else "outputs are committed: strip them"
        problem = problem or execute(notebook, path.parent)
        elapsed = time.perf_counter() - start
        status = "ok" if problem is None else "FAILED"
        sys.stdout.write(f"{path.name}: {status} ({elapsed:.1f}s)\n")
        if problem is not None:
            failed += 1
            sys.stdout.write(f"{problem}\n")
    sys.stdout.write(f"{len(paths) - failed} of {len(paths)} notebook(s) ran cleanly\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
