"""Output formats of the ``sidecar-model`` command: JSON, YAML, SARIF 2.1.0, JUnit XML, text.

Every machine-readable output is a pure document on standard output: nothing before or after
it. JSON and YAML carry the same data; its shape per command is a JSON Schema shipped with the
package (``sidecar_model/schemas/<command>.schema.json``, see :func:`schema`).
"""

from __future__ import annotations

import json
import textwrap
import urllib.parse
from importlib import resources
from typing import TYPE_CHECKING, Any, Final
from xml.etree import ElementTree as ET

import yaml

from sidecar_model import _rule_links
from sidecar_model.validation import Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sidecar_model.resources import Resource
    from sidecar_model.validation import Diagnostic

__all__ = [
    "HOSTS_SHOWN",
    "SARIF_SCHEMA_URI",
    "json_text",
    "junit",
    "rule_footer",
    "rules_field",
    "sarif",
    "schema",
    "shorten",
    "user_protocols",
    "wrap",
    "yaml_text",
]

#: How many hosts a text line shows before it summarises the rest with a count.
HOSTS_SHOWN: Final = 8
#: The ``$schema`` of a SARIF log.
SARIF_SCHEMA_URI: Final = "https://json.schemastore.org/sarif-2.1.0.json"
_WIDTH: Final = 100
_UNSUPPORTED: Final = "UnsupportedProtocol"


def json_text(data: object) -> str:
    """Indented JSON, keys in the order the results give them, and a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def yaml_text(data: object) -> str:
    """The same data as :func:`json_text`, as block-style YAML."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=_WIDTH)


def schema(command: str) -> dict[str, Any]:
    """The JSON Schema of ``sidecar-model COMMAND -o json``.

    Every command's schema is one ``$defs`` entry of ``sidecar_model/schemas/outputs.schema.json``,
    shipped with the package; this returns that file with ``$ref`` pointing at the command's.
    """
    path = resources.files("sidecar_model").joinpath("schemas").joinpath("outputs.schema.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if command not in data["$defs"]:
        msg = f"no schema for command {command!r}"
        raise KeyError(msg)
    return {**data, "$ref": f"#/$defs/{command}"}


def user_protocols(data: Any) -> Any:  # noqa: ANN401 - JSON-ready data of any shape
    """``data`` with every ``"protocol": "UnsupportedProtocol"`` spelt ``auto-detect``.

    istiod's name for "no protocol given" is UnsupportedProtocol; for a listener or a port it
    means the protocol is detected from the traffic, which is what users call it.
    """
    if isinstance(data, dict):
        return {
            key: "auto-detect"
            if key == "protocol" and value == _UNSUPPORTED
            else user_protocols(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [user_protocols(item) for item in data]
    return data


def shorten(items: Sequence[str], *, wide: bool, limit: int = HOSTS_SHOWN) -> str:
    """``a, b, c`` or, past ``limit`` items (unless ``wide``), the first ones and a count."""
    if wide or len(items) <= limit:
        return ", ".join(items)
    rest = len(items) - limit
    return f"{', '.join(items[:limit])} and {rest} more (--wide or -o json for all)"


def wrap(head: str, text: str, indent: str = "      ") -> str:
    """``head`` + ``text``, wrapped at 100 columns with continuation lines indented."""
    return textwrap.fill(
        head + text,
        width=_WIDTH,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


# =========================================================================== rule links


def rules_field(*texts: str) -> list[dict[str, str]]:
    """The rules cited in ``texts``, for JSON: ``[{"id": "L4", "docs": "how-...#rule-l4"}]``."""
    found: dict[str, None] = {}
    for text in texts:
        found.update(dict.fromkeys(_rule_links.cited(text)))
    out = []
    for rule in found:
        page, name = _rule_links.anchor(rule)
        out.append({"id": rule, "docs": f"{page}.html#{name}", "url": _rule_links.url(rule)})
    return out


def rule_footer(*texts: str) -> list[str]:
    """Text lines naming where each rule cited in ``texts`` is explained."""
    found: dict[str, None] = {}
    for text in texts:
        found.update(dict.fromkeys(_rule_links.cited(text)))
    if not found:
        return []
    width = max(len(rule) for rule in found)
    return [
        "rules cited:",
        *(f"  {rule:<{width}}  {_rule_links.short_link(rule)}" for rule in found),
    ]


# =========================================================================== SARIF


def _rule_title(diagnostic: Diagnostic) -> str:
    rule = diagnostic.rule
    if rule is not None:
        return rule.title
    from sidecar_model.analysis import CHECKS  # noqa: PLC0415 - analysis imports validation

    check = CHECKS.get(diagnostic.code)
    return check.title if check is not None else diagnostic.code


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def _uri(source: str) -> str:
    return urllib.parse.quote(source.replace("\\", "/"))


def _object_name(resource: Resource[Any] | None) -> str | None:
    if resource is None:
        return None
    return f"{resource.kind} {resource.namespace or '-'}/{resource.name or '-'}"


def sarif(
    diagnostics: Sequence[Diagnostic],
    *,
    version: str,
    positions: dict[int, tuple[int, int] | None],
) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: every diagnostic a result, every code a rule.

    ``positions`` gives, per ``id(diagnostic)``, the (line, column) to report when the
    diagnostic's own path has no position (a missing field: the object's start).
    """
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for diagnostic in diagnostics:
        code = diagnostic.code
        if code not in rules:
            rules[code] = {
                "id": code,
                "shortDescription": {"text": _rule_title(diagnostic)},
                "helpUri": _rule_links.url(code),
                "help": {"text": f"See {_rule_links.short_link(code)}"},
                "defaultConfiguration": {"level": _level(diagnostic.severity)},
            }
        result: dict[str, Any] = {
            "ruleId": code,
            "ruleIndex": list(rules).index(code),
            "level": _level(diagnostic.severity),
            "message": {"text": f"{diagnostic.path}: {diagnostic.message}"},
        }
        location: dict[str, Any] = {}
        source = diagnostic.source
        if source and source != "<stdin>":
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(source)}}
            position = positions.get(id(diagnostic))
            if position is not None:
                physical["region"] = {"startLine": position[0], "startColumn": position[1]}
            location["physicalLocation"] = physical
        name = _object_name(diagnostic.resource)
        if name is not None:
            location["logicalLocations"] = [
                {"fullyQualifiedName": f"{name} {diagnostic.path}", "kind": "object"}
            ]
        if location:
            result["locations"] = [location]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sidecar-model",
                        "version": version,
                        "informationUri": _rule_links.DOCS_URL,
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }


# =========================================================================== JUnit


def junit(
    command: str,
    checked: Iterable[Resource[Any]],
    diagnostics: Sequence[Diagnostic],
    *,
    failing: frozenset[Severity],
) -> str:
    """JUnit XML: one test case per checked object, a failure per failing diagnostic.

    Diagnostics of a severity not in ``failing`` go to the test case's ``system-out``.
    """
    by_object: dict[str, list[Diagnostic]] = {}
    names: list[str] = []
    for resource in checked:
        name = _object_name(resource) or "-"
        if name not in by_object:
            by_object[name] = []
            names.append(name)
    for diagnostic in diagnostics:
        name = _object_name(diagnostic.resource) or "-"
        if name not in by_object:
            by_object[name] = []
            names.append(name)
        by_object[name].append(diagnostic)
    failures = sum(1 for found in by_object.values() if any(d.severity in failing for d in found))
    suites = ET.Element("testsuites", name=f"sidecar-model {command}", tests=str(len(names)))
    suites.set("failures", str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"sidecar-model {command}",
        tests=str(len(names)),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for name in names:
        found = by_object[name]
        case = ET.SubElement(suite, "testcase", classname=command, name=name)
        source = next((d.source for d in found if d.source), None)
        if source:
            case.set("file", source)
        notes = []
        for diagnostic in found:
            text = f"{diagnostic.code} {diagnostic.path}: {diagnostic.message}"
            if diagnostic.severity in failing:
                failure = ET.SubElement(case, "failure", message=text, type=diagnostic.code)
                location = diagnostic.location
                failure.text = (
                    f"{location}: {text}\n" if location else f"{text}\n"
                ) + f"{_rule_links.short_link(diagnostic.code)}\n"
            else:
                notes.append(f"{diagnostic.severity.value} {text}")
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes) + "\n"
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
