"""Loading and dumping manifests with the one configured cattrs converter.

Data flow: text → safe YAML/JSON parse → plain data → :data:`converter` → typed, frozen
:class:`~sidecar_model.Resource` objects; and back.

The converter is strict: a string field takes only a string (PyYAML turns unquoted
``yes`` into True and ``1.10`` into 1.1, and those are refused, not coerced), an
integer field only an integer in its wire range, an enum only one of its names, and an
unknown Sidecar field is an error naming the nearest valid one. Problems are reported
all at once, as one :class:`~sidecar_model.ManifestError`, each with its YAML path in
wire names and, when the data came from text, its line and column.

This module only re-exports; the work is done in private modules: ``_converter`` (hooks),
``_envelope`` (Resource and ObjectMeta), ``_problems`` (problem translation),
``_loading`` (loading drivers), ``_files`` (paths and bounded reads), ``_yaml`` (the YAML
reader and locating) and ``_dumping``.
"""

from sidecar_model.codec import _envelope  # noqa: F401 - registers the envelope hooks
from sidecar_model.codec._converter import converter
from sidecar_model.codec._dumping import dump, dumps, structure, unstructure
from sidecar_model.codec._files import (
    LoadedPaths,
    SkippedFileWarning,
    SkippedPath,
    load,
    load_paths,
)
from sidecar_model.codec._loading import Limits, loads, read_yaml

__all__ = [
    "Limits",
    "LoadedPaths",
    "SkippedFileWarning",
    "SkippedPath",
    "converter",
    "dump",
    "dumps",
    "load",
    "load_paths",
    "loads",
    "read_yaml",
    "structure",
    "unstructure",
]
