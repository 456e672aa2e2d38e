"""What a validation rule is: its code, severities, where it is enforced, and examples.

The rules themselves are data, in :mod:`sidecar_model.validation._registry`.
"""

from __future__ import annotations

import enum
import textwrap

import attrs

from sidecar_model.validation.diagnostics import Severity


class Enforcement(enum.Enum):
    """Where a rule is enforced."""

    #: :func:`~sidecar_model.validate` reports it.
    VALIDATE = "validate()"
    #: Loading refuses the manifest: :class:`~sidecar_model.ManifestError`.
    LOAD = "loading"
    #: Partly loading (types, enums, ranges), partly :func:`~sidecar_model.validate`.
    LOAD_AND_VALIDATE = "loading and validate()"
    #: A step of Istio's control flow (an early return); it has no diagnostic of its own.
    FLOW = "validate() (control flow)"
    #: Istio does not check it; listed so that nobody expects a diagnostic.
    NOT_CHECKED = "not checked"
    #: :func:`~sidecar_model.validation.check_export_to`, for the kinds that have exportTo.
    EXPORT_TO = "check_export_to()"


def _yaml(text: str) -> str:
    """A YAML fragment written indented inside Python, as a flush-left block."""
    return textwrap.dedent(text).strip("\n") + "\n"


@attrs.frozen(kw_only=True)
class Rule:
    """One validation rule: its code, what it checks, and examples."""

    #: The rule number, which is also the code of its diagnostics (``V23``).
    code: str
    #: A short name.
    title: str
    #: The severities its diagnostics have; empty when it has none of its own.
    severities: tuple[Severity, ...]
    enforcement: Enforcement
    #: What it checks, in Markdown.
    checks: str
    #: The upstream function that implements it.
    istio: str
    #: A manifest fragment (below ``kind:``) that breaks the rule ...
    invalid: str = attrs.field(converter=_yaml)
    #: ... and the same fragment, fixed: it validates with no finding at all.
    fixed: str = attrs.field(converter=_yaml)
    #: The codes :attr:`invalid` yields, errors then warnings, in order (empty for LOAD rules).
    expect: tuple[str, ...]
