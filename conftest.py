"""Root pytest configuration: what not to collect.

``--doctest-modules`` would import every ``.py`` file under the test paths, and
``--doctest-glob=*.md`` reads every Markdown page under them; the Sphinx configuration,
the built docs and the benchmark scripts are neither tests nor doctests.
"""

collect_ignore = ["docs/conf.py", "docs/_build", "benchmarks"]
