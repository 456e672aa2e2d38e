"""Everything sidecar-model raises or warns about on bad input.

Hierarchy::

    ValueError
     └── SidecarModelError              base of every error about bad input
          ├── ManifestError             text or data that does not load (.problems)
          ├── SourceError               a path or stream that cannot be read (.path, .reason)
          ├── ValidationError           a Sidecar that Istio's webhook would reject
          └── DurationError             duration text Istio would not accept (model)

    UserWarning
     └── SidecarModelWarning
          └── UnknownFieldWarning       a field dropped by ``strict=False`` loading

Each :class:`Problem` says where it is (file, document, YAML path in wire names,
line and column) and what to do about it. A :class:`ManifestError` carries every
problem found in its input, not only the first.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

import attrs

if TYPE_CHECKING:
    from sidecar_model.validation import Diagnostic, ValidationResult

__all__ = [
    "ManifestError",
    "Problem",
    "SidecarModelError",
    "SidecarModelWarning",
    "SourceError",
    "UnknownFieldWarning",
    "ValidationError",
]


class SidecarModelError(ValueError):
    """Base class of every error sidecar-model raises about its input."""


#: Quoted values longer than this are shortened in messages.
QUOTE_LIMIT: Final = 80


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text``, or its start and end around an ellipsis and its length when it is long.

    Messages quote values from the input; one hostile value of 100,000 characters must
    not make every message about it that long.
    """
    if len(text) <= limit:
        return text
    keep = max(limit // 2 - 1, 1)
    return f"{text[:keep]}…{text[-keep:]} ({len(text):,} characters)"


def quoted(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``repr(text)``, its start and end only when it is long, as :func:`shorten` does."""
    if len(text) <= limit:
        return repr(text)
    keep = max(limit // 2 - 1, 1)
    return f"{text[:keep]!r}…{text[-keep:]!r} ({len(text):,} characters)"


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with an input, and where it is.

    ``path`` uses the manifest's own (camelCase) names, such as
    ``spec.egress[0].port.number``; it is empty for problems that concern the whole
    document or text. ``document`` is the 0-based index of the YAML document;
    ``line`` and ``column`` are 1-based positions in the source text.
    """

    message: str
    code: str
    path: str = ""
    document: int | None = None
    line: int | None = None
    column: int | None = None
    source: str | None = None

    @property
    def location(self) -> str:
        """Where the problem is, as ``file:line:column`` (parts that are unknown are left out)."""
        parts = [self.source or "<string>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        """``file:line:col: document N: path: message``."""
        where = [self.location]
        if self.document is not None:
            where.append(f"document {self.document}")
        if self.path:
            where.append(shorten(self.path, 4 * QUOTE_LIMIT))
        return f"{': '.join(where)}: {self.message}"


class ManifestError(SidecarModelError):
    """Input that cannot be loaded: bad YAML or JSON, wrong types, unknown fields.

    ``problems`` lists every problem found, each with its own location.
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: tuple[Problem, ...] | list[Problem]) -> None:
        """Collect ``problems`` (at least one) into one error."""
        self.problems = tuple(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        """One line per problem, preceded by a count when there are several."""
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        return f"{len(lines)} problems:\n" + "\n".join(f"  {line}" for line in lines)

    def __reduce__(self) -> tuple[type[ManifestError], tuple[tuple[Problem, ...]]]:
        """Pickle by problems, which ``__init__`` takes back."""
        return (type(self), (self.problems,))


class SourceError(SidecarModelError):
    """A file, directory or stream that cannot be read; names the path and the reason.

    ``path`` is the path as given (``-`` or ``<stdin>`` for standard input); ``reason``
    says why in plain words, such as the operating system's message.
    """

    path: str
    reason: str

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        """Report that ``path`` cannot be read because of ``reason``."""
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(self.path, reason)

    def __str__(self) -> str:
        """``path: reason``."""
        return f"{self.path}: {self.reason}"

    def __reduce__(self) -> tuple[type[SourceError], tuple[str, str]]:
        """Pickle by path and reason, which ``__init__`` takes back."""
        return (type(self), (self.path, self.reason))

    @classmethod
    def from_os_error(cls, path: str | os.PathLike[str], error: OSError) -> SourceError:
        """The error for an ``OSError`` raised while reading ``path``."""
        return cls(path, error.strerror or str(error))


class ValidationError(SidecarModelError):
    """A resource that Istio's admission webhook would reject (see :func:`validate`).

    ``result`` is the whole :class:`~sidecar_model.ValidationResult`, warnings included;
    ``diagnostics`` are its errors.
    """

    result: ValidationResult

    def __init__(self, result: ValidationResult) -> None:
        """Wrap ``result``, which has at least one error."""
        self.result = result
        super().__init__(result)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The errors that reject the resource."""
        return self.result.errors

    def __str__(self) -> str:
        """One line per error, preceded by a count when there are several."""
        texts = [str(diagnostic) for diagnostic in self.result.errors]
        if len(texts) == 1:
            return texts[0]
        lines = (f"  {line}" for text in texts for line in text.splitlines())
        return f"{len(texts)} errors:\n" + "\n".join(lines)

    def __reduce__(self) -> tuple[type[ValidationError], tuple[ValidationResult]]:
        """Pickle as the result it wraps."""
        return (type(self), (self.result,))


class SidecarModelWarning(UserWarning):
    """Base class of the warnings sidecar-model issues."""


class UnknownFieldWarning(SidecarModelWarning):
    """A field the API does not define was dropped, as the API server prunes it."""

    problem: Problem

    def __init__(self, problem: Problem) -> None:
        """Warn about ``problem``, which names the dropped field."""
        self.problem = problem
        super().__init__(str(problem))
