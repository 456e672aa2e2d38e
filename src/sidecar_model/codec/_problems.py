"""Problem translation: cattrs' exception groups become located, plainly worded Problems.

Hooks raise :class:`BadValueError` (a value of the wrong type or outside its set) and
cattrs groups failures with notes naming attributes and indexes; :func:`issues_of` flattens
those groups into :class:`Issue` records with wire-name paths, and :func:`located_problem`
places an issue in its text and words its message.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import attrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from yaml.nodes import Node, ScalarNode

from sidecar_model.codec._wire import ENVELOPE_KEYS, wire_names
from sidecar_model.codec._yaml import Segment, format_path
from sidecar_model.errors import Problem, quoted, shorten
from sidecar_model.resources import Resource

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sidecar_model.codec._yaml import Locator


__all__ = [
    "BadValueError",
    "Issue",
    "add_note",
    "describe",
    "issues_of",
    "located_problem",
]


def add_note(error: BaseException, note: str) -> None:
    """Attach a cattrs validation note (an index or attribute) to ``error``.

    cattrs reads ``__notes__`` (PEP 678) to rebuild paths; assigning through
    ``__dict__`` works the same on Python 3.10, which has no ``add_note``.
    """
    error.__dict__.setdefault("__notes__", []).append(note)


class BadValueError(Exception):
    """A value of the wrong type or outside its allowed set, raised inside a hook."""

    def __init__(self, expected: str, value: object, code: str = "wrong-type") -> None:
        """``expected`` reads as a noun phrase: "a string", "one of DEFAULT, NONE"."""
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.code = code


def describe(value: object) -> str:  # noqa: PLR0911 - one plain phrase per kind of value
    """A plain phrase for a raw value, quoting long strings shortened."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {shorten(repr(value))}"
    if isinstance(value, str):
        return f"the string {quoted(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


@attrs.frozen
class Issue:
    """A problem found while structuring, before it is placed in a text."""

    segments: tuple[Segment, ...]
    code: str
    message: str
    value: object = None
    expected: str | None = None


def issues_of(error: BaseException, segments: tuple[Segment, ...] = ()) -> Iterator[Issue]:
    """Flatten cattrs' exception groups into issues with wire-name paths."""
    if isinstance(error, ClassValidationError | IterableValidationError):
        for sub in error.exceptions:
            yield from issues_of(sub, (*segments, *_note_segment(sub, error)))
        return
    if isinstance(error, ForbiddenExtraKeysError):
        valid = sorted(wire_names(error.cl).values()) if attrs.has(error.cl) else []
        if error.cl is Resource:
            valid = sorted(ENVELOPE_KEYS)
        for key in sorted(map(str, error.extra_fields)):
            close = difflib.get_close_matches(key, valid, n=1)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f"; valid fields: {', '.join(valid)}"
            )
            yield Issue((*segments, key), "unknown-field", f"unknown field {quoted(key)}{hint}")
        return
    if isinstance(error, BadValueError):
        yield Issue(segments, error.code, "", error.value, error.expected)
        return
    if isinstance(error, RecursionError):
        yield Issue(segments, "too-deep", "the data is nested too deeply to read")
        return
    if isinstance(error, KeyError):
        field = str(error.args[0]) if error.args else "?"
        yield Issue(segments, "missing-field", f"missing required field {field!r}")
        return
    yield Issue(segments, "invalid", str(error) or type(error).__name__)


def _note_segment(sub: BaseException, group: BaseException) -> tuple[Segment, ...]:
    for note in reversed(getattr(sub, "__notes__", [])):
        if isinstance(note, IterableValidationNote):
            return (note.index,)
        if isinstance(note, AttributeValidationNote):
            owner = getattr(group, "cl", None)
            if owner is not None and attrs.has(owner):
                name = wire_names(owner).get(note.name, note.name)
            else:
                name = note.name
            # A missing required field is reported against its parent object.
            return () if isinstance(sub, KeyError) else (name,)
    return ()


def _fix_hint(issue: Issue, node: Node | None) -> str:
    """Advice on how to write the value, using its source text when there is some."""
    # A plain (unquoted) scalar: libyaml marks its style '' and pure PyYAML None.
    raw = shorten(node.value) if type(node) is ScalarNode and not node.style else None
    value, expected = issue.value, issue.expected or ""
    if raw is not None and expected == "a string" and isinstance(value, bool | int | float):
        return f'; YAML reads the unquoted {raw} as {describe(value)}, so quote it: "{raw}"'
    if expected == "a string" and isinstance(value, bool | int | float):
        return "; quote the value so that it stays a string"
    if expected.startswith("an integer") and isinstance(value, str) and value.strip().isdigit():
        return f"; write the number without quotes: {shorten(value.strip())}"
    if expected.startswith("an integer") and isinstance(value, float):
        return "; it must be a whole number"
    if issue.code == "unknown-enum" and isinstance(value, str):
        names = expected.removeprefix("one of ").split(", ")
        close = difflib.get_close_matches(value.upper(), names, n=1)
        if close:
            return f"; did you mean {close[0]}?"
    return ""


def located_problem(
    issue: Issue,
    prefix: tuple[Segment, ...],
    document: int | None,
    locator: Locator | None,
    source: str | None,
) -> Problem:
    """Place ``issue`` (below ``prefix``, in ``document``) in its text and word its message."""
    segments = (*prefix, *issue.segments)
    at_key = issue.code == "unknown-field"
    node, _exact = (None, False) if locator is None else locator.find(segments, key=at_key)
    line, column = (None, None) if node is None or locator is None else locator.position(node)
    message = issue.message
    if issue.expected is not None:
        if issue.code == "invalid-duration":
            message = issue.expected
        else:
            message = f"expected {issue.expected}, got {describe(issue.value)}"
        message += _fix_hint(issue, node)
    return Problem(
        message=message,
        code=issue.code,
        path=format_path(segments),
        document=document,
        line=line,
        column=column,
        source=source,
    )
