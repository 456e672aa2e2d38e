"""YAML held as text inside a manifest, such as the ``istio`` ConfigMap's ``data.mesh``.

Problems in the embedded text are reported in the file that holds it: its name, its
document, the field's path and, for block scalars (``mesh: |``), the line and column in
that file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from sidecar_model.codec._converter import converter
from sidecar_model.codec._dumping import unstructure
from sidecar_model.codec._loading import read_yaml_nodes
from sidecar_model.codec._problems import issues_of, located_problem
from sidecar_model.codec._yaml import Locator, SourceInfo, parse_path
from sidecar_model.errors import ManifestError, Problem

if TYPE_CHECKING:
    from sidecar_model.resources import Resource

__all__ = ["structure_embedded", "structure_yaml"]

T = TypeVar("T")


def structure_yaml(  # noqa: PLR0913 - where the text sits: four keyword-only facts
    text: str,
    cls: type[T],
    *,
    source: str | None = None,
    document: int | None = None,
    path: str = "",
    origin: tuple[int, int] = (1, 1),
) -> T:
    """The first YAML document of ``text`` (empty when there is none) as a ``cls`` value.

    Problems name ``source`` and ``document``; their paths start with ``path`` and their
    positions are shifted so that the text's first character is at ``origin`` (1-based
    line and column in the enclosing file). Raises :class:`~sidecar_model.ManifestError`.
    """
    try:
        documents, roots = read_yaml_nodes(text, source=source)
    except ManifestError as error:
        raise ManifestError([_moved(p, document, path, origin) for p in error.problems]) from None
    data = documents[0] if documents and documents[0] is not None else {}
    try:
        return converter.structure(data, cls)
    except Exception as error:  # noqa: BLE001 - every failure becomes a located problem
        locator = Locator(roots[0] if roots else None)
        problems = [located_problem(i, (), None, locator, source) for i in issues_of(error)]
        raise ManifestError([_moved(p, document, path, origin) for p in problems]) from None


def structure_embedded(resource: Resource[Any], path: str, cls: type[T]) -> T:
    """The YAML text at ``path`` of ``resource`` (``data.mesh``) as a ``cls`` value.

    Problems are placed in the file ``resource`` was loaded from, at the embedded text's
    own lines when it is a block scalar, else at the field. Raises
    :class:`~sidecar_model.ManifestError`, also when the field is not a string.
    """
    value: Any = unstructure(resource)
    for segment in parse_path(path):
        value = value.get(segment) if isinstance(value, dict) else None
    info = resource.source if isinstance(resource.source, SourceInfo) else None
    source = None if info is None else info.name
    document = None if info is None else info.document
    at_field = resource.locate(path)
    if not isinstance(value, str):
        line, column = at_field or (None, None)
        problem = Problem(
            message="expected a string holding YAML",
            code="wrong-type",
            path=path,
            document=document,
            line=line,
            column=column,
            source=source,
        )
        raise ManifestError([problem])
    origin = None if info is None else info.block_origin(path)
    try:
        return structure_yaml(
            value, cls, source=source, document=document, path=path, origin=origin or (1, 1)
        )
    except ManifestError as error:
        if origin is not None or at_field is None:
            raise
        # A quoted or plain scalar: lines inside it do not map to the file; use the field's.
        line, column = at_field
        problems = [attrs.evolve(p, line=line, column=column) for p in error.problems]
        raise ManifestError(problems) from None


def _moved(problem: Problem, document: int | None, path: str, origin: tuple[int, int]) -> Problem:
    line, column = origin
    inner = problem.path
    return attrs.evolve(
        problem,
        document=document,
        path=f"{path}: {inner}" if path and inner else path or inner,
        line=None if problem.line is None else problem.line + line - 1,
        column=None if problem.column is None else problem.column + column - 1,
    )
