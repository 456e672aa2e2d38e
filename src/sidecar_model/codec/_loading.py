"""Loading drivers: text → safe YAML or JSON parse → plain data → typed resources.

Problems are collected for the whole text and reported together as one
:class:`~sidecar_model.ManifestError`, each with its document, YAML path, line and column.
Locating costs nothing until something is wrong.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from typing import TYPE_CHECKING, Any, Final

import attrs
import yaml

from sidecar_model._results import gc_paused
from sidecar_model.codec._envelope import structure_resource
from sidecar_model.codec._problems import Issue, describe, issues_of, located_problem
from sidecar_model.codec._yaml import (
    Locator,
    Segment,
    SourceInfo,
    SourceText,
    parse_path,
    yaml_documents,
)
from sidecar_model.errors import ManifestError, Problem, UnknownFieldWarning, shorten

if TYPE_CHECKING:
    from collections.abc import Iterator

    from yaml.nodes import Node

    from sidecar_model.resources import Resource

__all__ = ["DEFAULT_LIMITS", "Limits", "loads", "read_yaml"]


@attrs.frozen
class Limits:
    """Bounds that keep loading hostile input cheap. Raise them for unusual, trusted input."""

    #: Largest accepted text: characters of a string, bytes of a file or stream. Files
    #: and streams are read in chunks and refused as soon as they pass it. A dump of a
    #: large mesh whose Pods carry the injected proxy (about 6 to 11 KB each as kubectl
    #: prints them) reaches 500 to 600 MB for 50,000 Pods, so the default leaves room.
    max_size: int = 1024 * 1024 * 1024
    #: Deepest nesting of maps and lists, in YAML and JSON alike.
    max_depth: int = 200
    #: Most objects in one text: documents plus the items of ``List`` documents.
    max_documents: int = 1_000_000
    #: Longest YAML scalar, in characters (a JSON string is bounded by ``max_size``).
    #: Kubernetes stores at most about 1.5 MB per object, so real values are far shorter.
    max_scalar_length: int = 4 * 1024 * 1024
    #: Nodes that alias expansion may add beyond the text's own size: aliases that
    #: repeat more than the text holds (a "billion laughs" document) are refused.
    alias_slack: int = 10_000


DEFAULT_LIMITS: Final = Limits()


class _Loading:
    """The state of one :func:`loads` call: results, problems, and where they came from."""

    def __init__(self, text: SourceText, *, strict: bool, limits: Limits) -> None:
        self.text = text
        self.strict = strict
        self.limits = limits
        #: Objects seen so far: documents, and the items of List documents.
        self.objects = 0
        self.resources: list[Resource[Any]] = []
        self.problems: list[Problem] = []
        #: Unknown fields dropped by non-strict loading, warned about by the caller.
        self.dropped: list[Problem] = []

    def problem(
        self,
        message: str,
        code: str,
        document: int | None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                message=message,
                code=code,
                document=document,
                line=line,
                column=column,
                source=self.text.name,
            )
        )

    def document(self, index: int, root: Node | None, data: Any) -> None:  # noqa: ANN401
        if root is not None:
            self.text.record(index, root)
        if data is None:
            return
        self.objects += 1
        if self.objects > self.limits.max_documents:
            self.problem(
                f"more than {self.limits.max_documents} objects", "too-many-documents", index
            )
            return
        if type(data) is not dict:
            mark = root.start_mark if root is not None else None
            self.problem(
                f"a document must be a Kubernetes object (a mapping), not {describe(data)}",
                "not-an-object",
                index,
                None if mark is None else mark.line + 1,
                None if mark is None else mark.column + 1,
            )
            return
        objects = list(_objects(data, ()))
        self.objects += len(objects) - 1
        if self.objects > self.limits.max_documents:
            self.problem(
                f"more than {self.limits.max_documents} objects", "too-many-documents", index
            )
            return
        locator = None if root is None else Locator(root)
        for item, prefix in objects:
            self.resource(item, index, locator, prefix)

    def resource(
        self,
        data: Any,  # noqa: ANN401 - raw data, checked by the hooks
        index: int,
        locator: Locator | None,
        prefix: tuple[Segment, ...],
    ) -> None:
        info = SourceInfo(self.text, index, prefix)
        try:
            resource = structure_resource(data, info)
        except Exception as error:  # noqa: BLE001 - every failure becomes a located problem
            issues = list(issues_of(error))
            if not self.strict and any(i.code == "unknown-field" for i in issues):
                pruned = self._pruned(data, issues, index, locator, prefix)
                self.resource(pruned, index, locator, prefix)
                return
            name = self.text.name
            self.problems.extend(located_problem(i, prefix, index, locator, name) for i in issues)
            return
        self.resources.append(resource)

    def _pruned(
        self,
        data: Any,  # noqa: ANN401 - raw data, checked by the hooks
        issues: list[Issue],
        index: int,
        locator: Locator | None,
        prefix: tuple[Segment, ...],
    ) -> Any:  # noqa: ANN401
        pruned = _copy_containers(data)
        for issue in issues:
            if issue.code != "unknown-field":
                continue
            *parents, key = issue.segments
            holder = pruned
            for segment in parents:
                holder = holder[segment]
            del holder[key]
            problem = located_problem(issue, prefix, index, locator, self.text.name)
            self.dropped.append(attrs.evolve(problem, message=f"dropped {problem.message}"))
        return pruned


class _DataReading(_Loading):
    """Reading plain YAML data (no Kubernetes objects): each document's data is kept."""

    def __init__(self, text: SourceText, limits: Limits) -> None:
        super().__init__(text, strict=True, limits=limits)
        self.data: list[Any] = []
        self.roots: list[Node | None] = []

    def document(self, index: int, root: Node | None, data: Any) -> None:  # noqa: ANN401, ARG002
        self.data.append(data)
        self.roots.append(root)


def read_yaml(
    text: str, *, source: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> list[Any]:
    """The plain data of each document of a YAML text, read as safely as :func:`loads` does.

    For YAML that is not a Kubernetes object, such as the MeshConfig held in the
    ``istio`` ConfigMap. Raises :class:`~sidecar_model.ManifestError` with positions.
    """
    return read_yaml_nodes(text, source=source, limits=limits)[0]


def read_yaml_nodes(
    text: str, *, source: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[Any], list[Node | None]]:
    """:func:`read_yaml`, and the root node of each document for locating problems."""
    reading = _DataReading(SourceText(text, source, is_json=False), limits)
    with gc_paused():
        _load_yaml(text, reading, limits)
    if reading.problems:
        raise ManifestError(reading.problems)
    return reading.data, reading.roots


def _objects(data: dict[str, Any], prefix: tuple[Segment, ...]) -> Iterator[tuple[Any, Any]]:
    """The objects of one document: itself, or the items of a ``List``, nested Lists flattened.

    kubectl accepts a List inside a List and applies every object in it; so does loading.
    Nesting is bounded by the depth limit.
    """
    items = data.get("items")
    kind = data.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and isinstance(items, list)):
        yield data, prefix
        return
    for position, item in enumerate(items):
        where = (*prefix, "items", position)
        if type(item) is dict:
            yield from _objects(item, where)
        else:
            yield item, where


def _copy_containers(value: Any) -> Any:  # noqa: ANN401
    if type(value) is dict:
        return {k: _copy_containers(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_containers(v) for v in value]
    return value


def _decode(text: str | bytes, name: str | None) -> str:
    decoded = text if isinstance(text, str) else _decode_bytes(text, name)
    if "\ufeff" in decoded:
        # A byte-order mark may open any document (YAML 1.2, §5.2), as it does when
        # files are concatenated (cat a.yaml b.yaml): drop it at every line start.
        decoded = _LINE_BOM.sub("", decoded)
    return decoded


def _unit(text: str | bytes) -> str:
    return "characters" if isinstance(text, str) else "bytes"


_LINE_BOM: Final = re.compile("^\ufeff", re.MULTILINE)


def _decode_bytes(text: bytes, name: str | None) -> str:
    encoding = "utf-8-sig"
    for bom, bom_encoding in _BOMS:
        if text.startswith(bom):
            encoding = bom_encoding
            break
    try:
        return text.decode(encoding)
    except UnicodeDecodeError as error:
        problem = Problem(
            message=(
                f"the text is not valid {encoding.upper()}: {error.reason} at byte {error.start}"
            ),
            code="bad-encoding",
            source=name,
        )
        raise ManifestError([problem]) from None


_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


class _DuplicateKeyError(ValueError):
    """A JSON object that sets a key twice."""


class _NotJSONError(ValueError):
    """``NaN`` or ``Infinity``, which Python's reader takes but JSON does not have."""


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isfinite(number):
        return number
    # Kubernetes' JSON decoder refuses a number beyond a 64-bit float; Python would make inf.
    msg = f"the number {shorten(text)} is too large for a 64-bit float"
    raise _NotJSONError(msg)


def too_large(
    limits: Limits, source: str | None, size: int | None = None, unit: str = ""
) -> Problem:
    """The problem of a text longer than ``limits.max_size``; ``size`` None when unread."""
    unit = unit or "characters"
    length = "longer than" if size is None else f"{size} {unit} long, more than"
    rest = "; the rest was not read" if size is None else ""
    return Problem(
        message=f"the text is {length} the limit of {limits.max_size}{rest}",
        code="too-large",
        source=source,
    )


def _json_refusal(
    text: str,
    data: Any,  # noqa: ANN401 - plain data
    limits: Limits,
) -> tuple[str, str, int] | None:
    r"""Why JSON that Python read must still be refused: ``(message, code, offset)``.

    Two things Python's reader takes but YAML, and so :func:`dumps`, cannot write back:
    a lone UTF-16 surrogate (a ``\u`` escape of D800 to DFFF with no pair), and nesting
    deeper than ``limits.max_depth``.
    """
    raw = None if text.isascii() else _RAW_SURROGATE.search(text)
    offset = raw.start() if raw is not None else None
    if offset is None and _ESCAPED_SURROGATE.search(text) is not None:
        try:
            json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            lone = _LONE_ESCAPE.search(text)
            offset = 0 if lone is None else lone.start()
    if offset is not None:
        message = "a string holds a lone UTF-16 surrogate, which is not a Unicode character"
        return message, "bad-encoding", offset
    if _maybe_deep(text, limits.max_depth) and too_deep(data, limits.max_depth):
        start = len(text) - len(text.lstrip())
        return f"nesting is deeper than {limits.max_depth} levels", "too-deep", start
    return None


_RAW_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE: Final = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_ESCAPE: Final = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    r"|(?<![0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _maybe_deep(text: str, limit: int) -> bool:
    """Whether JSON ``text`` may nest deeper than ``limit``: False only when it cannot.

    Counts the nesting of the brackets alone, in C: removing each innermost ``[]`` and
    ``{}`` pair takes one pass per level. Brackets inside strings make the sequence
    unbalanced (then the data itself is walked); balanced ones could only hide a few
    levels, so the data is also walked when the count comes within half the limit.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = text.encode("utf-8", "surrogatepass").translate(None, _NOT_BRACKETS)
    for _ in range(limit // 2):
        fewer = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if not fewer:
            return False
        if fewer == brackets:
            return True  # brackets inside strings: unbalanced
        brackets = fewer
    return True


_NOT_BRACKETS: Final = bytes(set(range(256)) - set(b"[]{}"))


def too_deep(data: Any, limit: int) -> bool:  # noqa: ANN401 - plain data
    """Whether maps and lists in ``data`` nest deeper than ``limit`` levels (as YAML counts)."""
    level = [data] if type(data) in _CONTAINERS else []
    for _ in range(limit):
        if not level:
            return False
        below: list[Any] = []
        for value in level:
            children = value.values() if type(value) is dict else value
            below += [child for child in children if type(child) in _CONTAINERS]
        level = below
    return bool(level)


_CONTAINERS: Final = (dict, list)


def _not_json(constant: str) -> float:
    msg = f"{constant} is not a JSON value (JSON has no NaN or infinity)"
    raise _NotJSONError(msg)


def _duplicate_key_position(text: str) -> tuple[int | None, int | None]:
    """Where the YAML reader, which tracks positions, finds the second key (error path only)."""
    try:
        documents = yaml_documents(
            text, node_budget=len(text), max_depth=10**6, max_scalar=len(text)
        )
        for _root, _data, error in documents:
            if error is not None:
                return error.line, error.column
    except (yaml.YAMLError, UnicodeEncodeError, RecursionError):
        pass
    return None, None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                msg = f"duplicate key {key!r}"
                raise _DuplicateKeyError(msg)
            seen.add(key)
    return result


def loads(
    text: str | bytes,
    *,
    strict: bool = True,
    source: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Resource[Any]]:
    """Load every Kubernetes object in a YAML or JSON text.

    Multi-document YAML, a JSON object, and ``kind: List`` (or any ``*List``)
    wrappers as kubectl prints them all work. Sidecars get a typed
    :class:`~sidecar_model.Sidecar` spec; other kinds keep their spec verbatim.

    With ``strict=True`` (the default) an unknown field is an error; with
    ``strict=False`` it is dropped with an :class:`~sidecar_model.errors.UnknownFieldWarning`,
    as the Kubernetes API server prunes it. ``source`` names the text in messages.

    Raises :class:`~sidecar_model.ManifestError` listing every problem found.
    """
    if len(text) > limits.max_size:
        raise ManifestError([too_large(limits, source, len(text), _unit(text))])
    decoded = _decode(text, source)
    is_json = _JSON_START.match(decoded) is not None
    loading = _Loading(SourceText(decoded, source, is_json), strict=strict, limits=limits)
    with gc_paused():
        if is_json:
            _load_json(decoded, loading)
        else:
            _load_yaml(decoded, loading, limits)
    if loading.problems:
        raise ManifestError(loading.problems)
    # Warn from here, so that the warning points at the caller's line.
    for problem in loading.dropped:
        warnings.warn(UnknownFieldWarning(problem), stacklevel=2)
    return loading.resources


# JSON text opens with a bracket followed by a quoted key, a bracket or a brace; YAML
# flow style (``{apiVersion: v1, ...}``) also opens with a bracket, but not so.
_JSON_START: Final = re.compile(r"\s*(\{\s*[\"}]|\[\s*[\[\]{\"\d-])")


def _load_json(text: str, loading: _Loading) -> None:
    """Load ``text`` as one JSON value, recording its problems in ``loading``."""
    try:
        data = json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_not_json,
            parse_float=_finite_float,  # free when there are few floats, as in manifests
        )
    except json.JSONDecodeError as error:
        loading.problem(f"invalid JSON: {error.msg}", "json-syntax", 0, error.lineno, error.colno)
        return
    except _DuplicateKeyError as error:
        line, column = _duplicate_key_position(text)
        loading.problem(f"{error}; remove one of them", "duplicate-key", 0, line, column)
        _relocate(loading)
        return
    except _NotJSONError as error:
        loading.problem(f"invalid JSON: {error}", "not-finite", 0)
        _relocate(loading)
        return
    except ValueError as error:  # an integer with more digits than Python converts
        loading.problem(f"invalid JSON: {error}", "too-large", 0)
        _relocate(loading)
        return
    except RecursionError:
        loading.problem("nesting is too deep", "too-deep", 0)
        _relocate(loading)
        return
    refusal = _json_refusal(text, data, loading.limits)
    if refusal is not None:
        message, code, offset = refusal
        loading.problem(message, code, 0, *_position_of(text, offset))
        return
    # No node tree yet: problems are located afterwards, only if there are any.
    loading.document(0, None, data)
    if loading.problems:
        # Only now is it worth composing the text to find line numbers.
        _relocate(loading)


def _position_of(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of character ``offset`` of ``text``."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _relocate(loading: _Loading) -> None:
    """Give JSON problems their line and column, composing the text only now."""
    text = loading.text.text
    # Where the JSON value starts: the fallback when a path cannot be followed.
    start = _position_of(text, len(text) - len(text.lstrip()))
    relocated = []
    for problem in loading.problems:
        if problem.line is None:
            at_key = problem.code == "unknown-field"
            segments = parse_path(problem.path)
            locator = loading.text.locator(0, segments)
            node, _exact = locator.find(segments, key=at_key)
            line, column = start if node is None else locator.position(node)
            problem = attrs.evolve(problem, line=line, column=column)  # noqa: PLW2901
        relocated.append(problem)
    loading.problems[:] = relocated


def _load_yaml(text: str, loading: _Loading, limits: Limits) -> None:
    index = 0
    try:
        for index, (root, data, build_error) in enumerate(
            yaml_documents(
                text,
                node_budget=len(text) + limits.alias_slack,
                max_depth=limits.max_depth,
                max_scalar=limits.max_scalar_length,
            )
        ):
            if build_error is not None:
                loading.problem(
                    build_error.message,
                    build_error.code,
                    index,
                    build_error.line,
                    build_error.column,
                )
                continue
            loading.document(index, root, data)
    except yaml.reader.ReaderError as error:  # a character YAML forbids, such as NUL
        line, column = _position_of(text, error.position)
        loading.problem(f"invalid YAML: {error.reason}", "yaml-syntax", None, line, column)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"invalid YAML: {error.problem or error.context}"
        loading.problem(
            message,
            "yaml-syntax",
            None,
            None if mark is None else mark.line + 1,
            None if mark is None else mark.column + 1,
        )
    except yaml.YAMLError as error:
        loading.problem(f"invalid YAML: {error}", "yaml-syntax", None)
    except UnicodeEncodeError as error:
        loading.problem(
            f"the text holds a character that is not valid Unicode ({error.reason})",
            "bad-encoding",
            None,
        )
    except RecursionError:
        loading.problem(f"nesting is deeper than {limits.max_depth} levels", "too-deep", None)
