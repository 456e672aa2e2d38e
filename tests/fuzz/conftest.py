"""The fuzz target is a libFuzzer script, not a test module: keep pytest from importing it.

``--doctest-modules`` imports every module under ``tests/``; importing ``fuzz_loads.py``
needs atheris and would instrument the library, so ``nox -s fuzz`` alone runs it.
"""

collect_ignore = ["fuzz_loads.py"]
