"""Findings and their severity: what :func:`~sidecar_model.validate` and analysis report.

A :class:`Diagnostic` is one finding with a stable code (a validation rule such as ``V23``,
see the rule reference, or an analysis code), the YAML path of the field in wire names, a
message that names the value and says what is allowed, and, for a resource loaded from text,
the file, line and column. A :class:`ValidationResult` sorts them into errors and warnings.
"""

from __future__ import annotations

import enum
import html
from typing import TYPE_CHECKING, Any

import attrs

from sidecar_model._rule_links import html_link
from sidecar_model.errors import ValidationError
from sidecar_model.resources import Resource

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sidecar_model.validation._rule import Rule

__all__ = ["Diagnostic", "Severity", "ValidationResult"]


class Severity(enum.Enum):
    """How bad a finding is."""

    #: The API server would reject the object.
    ERROR = "error"
    #: The object is accepted, and ``kubectl`` prints the warning.
    WARNING = "warning"


@attrs.frozen(kw_only=True)
class Diagnostic:
    """One finding about a resource: what is wrong, how bad, and where.

    ``path`` is the YAML path in wire names (``spec.egress[1].hosts[0]``); ``excerpt``, when
    set, shows the offending text with a caret line under the bad part. :attr:`line`,
    :attr:`column` and :attr:`source` are looked up in the text ``resource`` was loaded from,
    on first use, so that findings nobody prints cost nothing to locate.
    """

    code: str
    severity: Severity
    path: str
    message: str
    resource: Resource[Any] | None = attrs.field(default=None, repr=False)
    excerpt: str | None = attrs.field(default=None, repr=False)

    @property
    def line(self) -> int | None:
        """The 1-based line of :attr:`path` in the source text, if known."""
        position = self._position()
        return None if position is None else position[0]

    @property
    def column(self) -> int | None:
        """The 1-based column of :attr:`path` in the source text, if known."""
        position = self._position()
        return None if position is None else position[1]

    @property
    def source(self) -> str | None:
        """The name of the file the resource was loaded from, if it came from a file."""
        if self.resource is None or self.resource.source is None:
            return None
        return self.resource.source.name

    @property
    def rule(self) -> Rule | None:
        """The registry entry of :attr:`code` (what it checks, with examples), if it has one."""
        # The registry's rules name the severities defined here, so it is imported on use.
        from sidecar_model.validation._registry import RULES  # noqa: PLC0415

        return RULES.get(self.code)

    @property
    def location(self) -> str:
        """``file:line:column`` as far as known; empty for an object not loaded from text."""
        if self.resource is None or self.resource.source is None:
            return ""
        parts = [self.source or "<string>"]
        position = self._position()
        if position is not None:
            parts.extend(str(number) for number in position)
        return ":".join(parts)

    def _position(self) -> tuple[int, int] | None:
        if self.resource is None or not self.path:
            return None
        return self.resource.locate(self.path)

    def __str__(self) -> str:
        """``file:line:col: severity code path: message``, then the excerpt, indented."""
        head = f"{self.severity.value} {self.code} {self.path}: {self.message}"
        location = self.location
        text = f"{location}: {head}" if location else head
        if self.excerpt:
            text += "".join(f"\n    {line}" for line in self.excerpt.splitlines())
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of every field, location included."""
        resource = self.resource
        return {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "message": self.message,
            "source": self.source,
            "line": self.line,
            "column": self.column,
            "excerpt": self.excerpt,
            "resource": None if resource is None else _resource_ref(resource),
        }

    def _repr_html_(self) -> str:
        return _html_table((self,))


@attrs.frozen(kw_only=True)
class ValidationResult:
    """What :func:`validate` found: errors reject the object, warnings do not."""

    errors: tuple[Diagnostic, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings may remain)."""
        return not self.errors

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Errors, then warnings."""
        return self.errors + self.warnings

    def raise_for_errors(self) -> ValidationResult:
        """Raise :class:`~sidecar_model.errors.ValidationError` on errors; else return self."""
        if self.errors:
            raise ValidationError(self)
        return self

    def __str__(self) -> str:
        """A count, then one finding per line."""
        if not self.errors and not self.warnings:
            return "valid: no errors or warnings"
        lines = [_count_summary(len(self.errors), len(self.warnings))]
        lines.extend(str(diagnostic) for diagnostic in self.diagnostics)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: ``ok``, ``errors`` and ``warnings``."""
        return {
            "ok": self.ok,
            "errors": [diagnostic.to_dict() for diagnostic in self.errors],
            "warnings": [diagnostic.to_dict() for diagnostic in self.warnings],
        }

    def _repr_html_(self) -> str:
        if not self.errors and not self.warnings:
            return "<p>valid: no errors or warnings</p>"
        summary = html.escape(_count_summary(len(self.errors), len(self.warnings)))
        return f"<p>{summary}</p>{_html_table(self.diagnostics)}"


def _count_summary(errors: int, warnings: int) -> str:
    def plural(count: int, noun: str) -> str:
        return f"{count} {noun}" if count == 1 else f"{count} {noun}s"

    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


def _resource_ref(resource: Resource[Any]) -> dict[str, str | None]:
    return {
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "namespace": resource.namespace,
        "name": resource.name,
    }


def _html_table(diagnostics: Sequence[Diagnostic]) -> str:
    rows = []
    for diagnostic in diagnostics:
        message = html.escape(diagnostic.message)
        if diagnostic.excerpt:
            message += f"<pre>{html.escape(diagnostic.excerpt)}</pre>"
        cells = (
            html.escape(diagnostic.location),
            html.escape(diagnostic.severity.value),
            html_link(diagnostic.code),
            f"<code>{html.escape(diagnostic.path)}</code>",
            message,
        )
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    header = "".join(
        f"<th>{name}</th>" for name in ("where", "severity", "code", "path", "message")
    )
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"
