# ruff: noqa: INP001 - a docs tool run as a script, not part of a package
"""Render the rule reference, ``docs/rules.md``, from the validation rule registry.

The page is one section per family of rules, one subsection per rule. Each rule has a stable
anchor, its code in lower case (``rules.html#v23``), as a MyST label that other pages can
reference with ``{ref}`v23```. The test suite runs this script with ``--check`` and fails
when the committed page and the registry disagree. Regenerate the page after changing a
rule::

    python docs/_ext/rules.py docs/rules.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from sidecar_model.validation import RULES, Enforcement, Rule
from sidecar_model.validation._registry import FAMILIES

_HEADER = """\
# Validation rules

<!-- Generated from the rule registry (sidecar_model/validation/_registry.py) by
`python docs/_ext/rules.py docs/rules.md`; edit the registry, not this page.
A test fails when the two disagree. -->

Every finding of {func}`sidecar_model.validate` has a `code`: the number of the rule in
Istio's Sidecar validation (V1-V41), or X1-X5 for the `exportTo` checks of
{func}`sidecar_model.validation.check_export_to`. Rules run in Istio's order; V1-V4, V7 and V9
stop validation early. "Enforced by *loading*" means {func}`sidecar_model.loads` already
refuses the manifest with a {class}`~sidecar_model.ManifestError`, so `validate()` never sees
it. The examples below are checked by the test suite. Each rule's section has the rule's code
in lower case as its anchor: `rules.html#v23` is V23.

| code | rule | severity | enforced by |
|---|---|---|---|
"""


def _severity_text(rule: Rule) -> str:
    return ", ".join(severity.value for severity in rule.severities) or "none of its own"


def _example_labels(rule: Rule) -> tuple[str, str]:
    if rule.enforcement is Enforcement.NOT_CHECKED:
        return "Accepted, though it does not do what it seems to", "Clearer"
    if rule.enforcement is Enforcement.FLOW:
        codes = ", ".join(rule.expect)
        return f"Rejected (reported as {codes})", "Fixed"
    return "Invalid", "Fixed"


def _rule_section(rule: Rule) -> str:
    invalid_label, fixed_label = _example_labels(rule)
    return (
        f"\n({rule.code.lower()})=\n### {rule.code}: {rule.title}\n\n"
        f"Severity: {_severity_text(rule)} · enforced by: {rule.enforcement.value} · "
        f"Istio: `{rule.istio}`\n\n"
        f"{rule.checks}\n\n"
        f"{invalid_label}:\n\n```yaml\n{rule.invalid}```\n\n"
        f"{fixed_label}:\n\n```yaml\n{rule.fixed}```\n"
    )


def render_markdown() -> str:
    """The text of ``docs/rules.md``: a summary table, then the rules family by family."""
    lines = [_HEADER]
    lines.extend(
        f"| {{ref}}`{rule.code} <{rule.code.lower()}>` | {rule.title} | "
        f"{_severity_text(rule)} | {rule.enforcement.value} |\n"
        for rule in RULES.values()
    )
    for family, codes in FAMILIES:
        lines.append(f"\n## {family}\n")
        lines.extend(_rule_section(RULES[code]) for code in codes)
    return "".join(lines)


def main(argv: list[str]) -> int:
    """Write the page to the path given, or standard output; ``--check PATH`` compares."""
    text = render_markdown()
    if argv[:1] == ["--check"]:
        if Path(argv[1]).read_text(encoding="utf-8") == text:
            return 0
        sys.stderr.write(f"{argv[1]} is stale: run `python docs/_ext/rules.py {argv[1]}`\n")
        return 1
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8", newline="\n")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
