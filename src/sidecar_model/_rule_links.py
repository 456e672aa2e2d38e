"""Where each rule id the library cites is explained in the docs.

Results and messages cite the rules they follow by id: a section such as ``§3.2`` (written
``(3.2)`` inside reasons), a listener rule ``L4``, a most-specific-port rule ``MSP2``, a route
rule ``R1``, an unmatched-traffic rule ``T5``, a dependency rule ``D2``, an analyzer rule ``A3``,
a worked example ``E4``, an analysis code ``SM0004`` or ``IST0110``, a validation rule ``V23``
or ``X1``. Each one has a stable anchor in the docs:

- validation rules ``V1`` .. ``V41`` and ``X1`` .. ``X5``: page ``rules``, anchor ``v23``;
- everything else: page ``how-istiod-decides``, anchor ``rule-`` + the id in lower case with
  ``§`` dropped and dots turned into dashes: ``rule-l4``, ``rule-msp2``, ``rule-3-2``,
  ``rule-4-2-1``, ``rule-sm0004``, ``rule-ist0110``.

>>> short_link("L4")
'docs: how-istiod-decides#rule-l4'
>>> short_link("3.2")
'docs: how-istiod-decides#rule-3-2'
>>> short_link("V23")
'docs: rules#v23'
>>> cited("chosen: the first matching selector Sidecar (3.2, 3.4); routes (R1..R3)")
('§3.2', '§3.4', 'R1', 'R2', 'R3')
"""

from __future__ import annotations

import html
import os
import re
from typing import Final

__all__ = [
    "DOCS_URL",
    "PAGE",
    "RULES_PAGE",
    "anchor",
    "cited",
    "normalize",
    "short_link",
    "url",
]

#: The page that explains how istiod decides, rule by rule.
PAGE: Final = "how-istiod-decides"
#: The page of the validation rules (V1..V41, X1..X5).
RULES_PAGE: Final = "rules"
#: The published docs that absolute links (SARIF ``helpUri``) point at; the
#: ``SIDECAR_MODEL_DOCS_URL`` environment variable overrides it (a mirror, a local build).
DOCS_URL: Final = "https://sidecar-model.readthedocs.io/en/latest/"

_VALIDATION: Final = re.compile(r"[VX]\d{1,2}")
_SECTION: Final = re.compile(r"§?\s?(\d+(?:\.\d+)*)")
_NAMED: Final = re.compile(r"(MSP[1-6]|[LRTDEAW][1-9]|[VX]\d{1,2}|SM\d{4}|IST\d{4})")
# A citation in running text: §3.2, or a bare 3.2 / 4.4.4 inside parentheses, or a named id,
# or a range of named ids (R1..R4, L1-L7).
_CITATION: Final = re.compile(
    r"§\s?(?P<section>\d+(?:\.\d+)*)"
    r"|\b(?P<first>MSP|[LRTDEAWVX]|SM|IST)(?P<lo>\d+)\s?(?:\.\.|-|\u2013)\s?(?P=first)(?P<hi>\d+)\b"
    r"|\b(?P<named>MSP[1-6]|[LRTDEAW][1-9]|[VX]\d{1,2}|SM\d{4}|IST\d{4})\b"
    r"|\((?P<bare>\d+\.\d+(?:\.\d+)?(?:\s*,\s*\d+\.\d+(?:\.\d+)?)*)\)"
)


def normalize(rule_id: str) -> str:
    """The canonical form of a rule id: ``§3.2`` for a section (``3.2`` too), else as written.

    >>> normalize("3.2"), normalize("§ 4.4.4"), normalize("MSP2")
    ('§3.2', '§4.4.4', 'MSP2')
    """
    text = rule_id.strip()
    if _NAMED.fullmatch(text):
        return text
    match = _SECTION.fullmatch(text)
    if match is None:
        msg = f"not a rule id: {rule_id!r}"
        raise ValueError(msg)
    return f"§{match.group(1)}"


def anchor(rule_id: str) -> tuple[str, str]:
    """The docs page and anchor of ``rule_id``: ``("how-istiod-decides", "rule-l4")``."""
    rule = normalize(rule_id)
    if _VALIDATION.fullmatch(rule):
        return RULES_PAGE, rule.lower()
    return PAGE, "rule-" + rule.removeprefix("§").replace(".", "-").lower()


def short_link(rule_id: str) -> str:
    """The form the command prints: ``docs: how-istiod-decides#rule-l4``."""
    page, name = anchor(rule_id)
    return f"docs: {page}#{name}"


def url(rule_id: str, base: str | None = None) -> str:
    """An absolute link to the rule's explanation in the HTML docs.

    ``base`` defaults to ``SIDECAR_MODEL_DOCS_URL`` when set, else :data:`DOCS_URL`.

    >>> url("MSP2", base="https://example.org/docs")
    'https://example.org/docs/how-istiod-decides.html#rule-msp2'
    """
    root = base or os.environ.get("SIDECAR_MODEL_DOCS_URL") or DOCS_URL
    page, name = anchor(rule_id)
    return f"{root.rstrip('/')}/{page}.html#{name}"


def html_link(rule_id: str, base: str | None = None) -> str:
    """An HTML link to the rule's explanation, its text the rule id.

    A code that is no rule id comes back as plain text.

    >>> html_link("L4", base="https://example.org/docs")
    '<a href="https://example.org/docs/how-istiod-decides.html#rule-l4">L4</a>'
    """
    try:
        target = url(rule_id, base)
    except ValueError:
        return html.escape(rule_id)
    return f'<a href="{html.escape(target)}">{html.escape(rule_id)}</a>'


def html_footer(text: str, base: str | None = None) -> str:
    """``<p>rules cited: <a>§3.2</a>, ...</p>`` for the rules ``text`` cites, or nothing.

    >>> html_footer("lost (3.2)", base="https://example.org/docs")
    '<p>rules cited: <a href="https://example.org/docs/how-istiod-decides.html#rule-3-2">§3.2</a></p>'
    """
    rules = cited(text)
    if not rules:
        return ""
    return f"<p>rules cited: {', '.join(html_link(rule, base) for rule in rules)}</p>"


def cited(text: str) -> tuple[str, ...]:
    """The rule ids ``text`` cites, normalised, in order of first mention, each once."""
    found: dict[str, None] = {}
    for match in _CITATION.finditer(text):
        if match.group("section"):
            found[f"§{match.group('section')}"] = None
        elif match.group("first"):
            prefix, width = match.group("first"), len(match.group("lo"))
            for number in range(int(match.group("lo")), int(match.group("hi")) + 1):
                found[f"{prefix}{number:0{width}d}"] = None
        elif match.group("named"):
            found[match.group("named")] = None
        else:
            for part in match.group("bare").split(","):
                found[f"§{part.strip()}"] = None
    return tuple(found)
