"""Collecting the findings of one run, and the early return of Istio's validation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sidecar_model.validation.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from sidecar_model.resources import Resource


class Report:
    """Findings of one run, in the order they were found."""

    __slots__ = ("errors", "resource", "warnings")

    def __init__(self, resource: Resource[Any] | None) -> None:
        self.resource = resource
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, code: str, path: str, message: str, excerpt: str | None = None) -> None:
        self.errors.append(self._diagnostic(Severity.ERROR, code, path, message, excerpt))

    def warning(self, code: str, path: str, message: str) -> None:
        self.warnings.append(self._diagnostic(Severity.WARNING, code, path, message, None))

    def _diagnostic(
        self, severity: Severity, code: str, path: str, message: str, excerpt: str | None
    ) -> Diagnostic:
        return Diagnostic(
            code=code,
            severity=severity,
            path=path,
            message=message,
            resource=self.resource,
            excerpt=excerpt,
        )


class Stop(Exception):  # noqa: N818 - control flow, not an error
    """Raised when Istio returns early (V1-V4, V7, V9): later rules are not evaluated."""
