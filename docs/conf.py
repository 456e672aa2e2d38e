"""Sphinx configuration: Markdown pages (MyST), API pages from docstrings, the furo theme.

Docstrings are reStructuredText prose with Sphinx roles, so napoleon is left out: it would
read a property summary such as ``True for the HTTP family: HTTP, ...`` as a type. The build
must work with no network, so there is no intersphinx: names from the standard library and
from attrs/cattrs appear as plain text.
"""

from __future__ import annotations

from importlib.metadata import version as _version

project = "sidecar-model"
author = "sidecar-model contributors"
copyright = author
release = _version("sidecar-model")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "furo"
html_title = f"sidecar-model {release}"

# Long lines in code blocks wrap instead of running off the right edge (docs/_static/custom.css).
html_static_path = ["_static"]
html_css_files = ["custom.css"]
