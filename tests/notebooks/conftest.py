"""The notebook runner is a script, not a test module: keep pytest from importing it.

``--doctest-modules`` imports every module under ``tests/``; ``run_notebooks.py`` needs
nbclient and ipykernel, which only ``nox -s notebook`` installs.
"""

collect_ignore = ["run_notebooks.py"]
