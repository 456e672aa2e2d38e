"""Hostile and broken input: refused with a located ManifestError, in bounded time and memory.

Each test names the issue-7 item it covers; the codec error tests (test_codec_errors.py)
cover the type and field errors common to all input.
"""

from __future__ import annotations

import tracemalloc

import pytest

import sidecar_model as sm
from sidecar_model.codec import Limits

HEADER = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: a, namespace: b}\n"


def problems_of(text: str | bytes, **options: object) -> tuple[sm.errors.Problem, ...]:
    with pytest.raises(sm.ManifestError) as caught:
        sm.loads(text, **options)  # type: ignore[arg-type]
    return caught.value.problems


def position(text: str, marker: str) -> tuple[int, int]:
    """The 1-based line and column where ``marker`` first starts in ``text``."""
    offset = text.index(marker)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def billion_laughs(levels: int = 9) -> str:
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*lol{level - 1}"] * 9)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- limits (item 1)


def test_billion_laughs_fails_fast_in_bounded_memory() -> None:
    text = billion_laughs()
    tracemalloc.start()
    try:
        (problem,) = problems_of(text)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert problem.code == "alias-expansion"
    assert "aliases" in problem.message
    assert problem.line is not None
    assert peak < 100 * 1024 * 1024


def test_legitimate_aliases_and_merge_keys_work() -> None:
    text = HEADER.replace("metadata: {name: a, namespace: b}\n", "") + (
        "metadata:\n  name: a\n  labels: &common {team: shop, tier: web}\n"
        "  annotations:\n    <<: *common\n    tier: api\n"
        "spec:\n  egress:\n  - hosts: &hosts ['./*']\n  - port: {number: 80}\n    hosts: *hosts\n"
    )
    (resource,) = sm.loads(text)
    assert resource.metadata.annotations == {"team": "shop", "tier": "api"}
    assert resource.spec.egress[1].hosts == ("./*",)


@pytest.mark.parametrize("deep_text", ["a: " + "[" * 10_000 + "]" * 10_000 + "\n"])
def test_ten_thousand_deep_yaml_is_refused(deep_text: str) -> None:
    (problem,) = problems_of(deep_text)
    assert problem.code in {"yaml-syntax", "too-deep"}
    assert "nesting" in problem.message
    assert problem.line == 1


def test_ten_thousand_deep_json_is_refused() -> None:
    text = '{"apiVersion": "v1", "kind": "X", "spec": ' + "[" * 10_000 + "]" * 10_000 + "}"
    (problem,) = problems_of(text)
    assert problem.code == "too-deep"
    assert (problem.line, problem.column) == (1, 1)


def test_depth_limit_is_configurable() -> None:
    text = HEADER + "spec:\n  egress:\n  - hosts: [a/b]\n"
    # Five levels: the document, spec, egress, its first item, and hosts.
    (problem,) = problems_of(text, limits=Limits(max_depth=4))
    assert problem.code == "too-deep"
    assert "deeper than 4" in problem.message
    assert (problem.line, problem.column) == position(text, "[a/b]")
    assert sm.loads(text, limits=Limits(max_depth=5))


def test_size_limit() -> None:
    text = HEADER + "spec: {}\n"
    (problem,) = problems_of(text, limits=Limits(max_text=20), source="big.yaml")
    assert problem.code == "too-large"
    assert "limit of 20" in problem.message
    assert problem.source == "big.yaml"


def test_document_limit_counts_documents_and_list_items() -> None:
    documents = "---\n".join([HEADER + "spec: {}\n"] * 3)
    (problem,) = problems_of(documents, limits=Limits(max_documents=2))
    assert problem.code == "too-many-documents"
    assert problem.document == 2
    listing = '{"apiVersion": "v1", "kind": "List", "items": [{}, {}, {}]}'
    (problem,) = problems_of(listing, limits=Limits(max_documents=2))
    assert problem.code == "too-many-documents"


def test_scalar_length_limit() -> None:
    text = HEADER + "spec:\n  egress:\n  - hosts: [" + "a" * 100 + "]\n"
    (problem,) = problems_of(text, limits=Limits(max_scalar_length=50))
    assert problem.code == "too-long"
    assert "100 characters" in problem.message
    assert (problem.line, problem.column) == position(text, "a" * 100)


# --------------------------------------------------------------------------- YAML (item 2)


def test_unknown_tags_are_refused_and_not_run() -> None:
    text = HEADER + "spec: !!python/object/apply:os.system ['echo pwned']\n"
    (problem,) = problems_of(text)
    assert problem.code == "unsupported-tag"
    assert "python/object/apply:os.system" in problem.message
    assert (problem.line, problem.column) == position(text, "!!python")


def test_custom_tags_are_refused() -> None:
    (problem,) = problems_of(HEADER + "spec: !vault secret\n")
    assert problem.code == "unsupported-tag"


def test_unquoted_creation_timestamp_is_read_as_a_timestamp() -> None:
    text = HEADER.replace("namespace: b}", "namespace: b, creationTimestamp: 2024-05-01T10:00:00Z}")
    (resource,) = sm.loads(text)
    assert resource.metadata.creation_timestamp is not None
    assert resource.metadata.creation_timestamp.isoformat() == "2024-05-01T10:00:00+00:00"


def test_bad_timestamp_is_refused() -> None:
    text = HEADER.replace("namespace: b}", "namespace: b, creationTimestamp: yesterday}")
    (problem,) = problems_of(text)
    assert problem.path == "metadata.creationTimestamp"
    assert "RFC 3339" in problem.message


def test_tabs_in_indentation_are_a_syntax_error_with_a_line() -> None:
    text = HEADER + "spec:\n\tegress: []\n"
    (problem,) = problems_of(text)
    assert problem.code == "yaml-syntax"
    assert problem.line == 5


def test_nul_character_is_refused_with_its_position() -> None:
    text = HEADER + "spec: {}\x00\n"
    (problem,) = problems_of(text)
    assert problem.code == "yaml-syntax"
    assert problem.line == 4


@pytest.mark.parametrize("text", ["", "---\n", "~\n", "---\nnull\n---\n", "# only a comment\n"])
def test_empty_and_null_documents_hold_nothing(text: str) -> None:
    assert sm.loads(text) == []


def test_very_long_lines_load() -> None:
    hosts = ", ".join(f"ns{i}/*" for i in range(5_000))
    (resource,) = sm.loads(HEADER + "spec: {egress: [{hosts: [" + hosts + "]}]}\n")
    assert len(resource.spec.egress[0].hosts) == 5_000


@pytest.mark.parametrize(
    ("value", "hint"),
    [("80.0", "whole number"), ("-1", "from 0 to 4294967295"), ("true", "boolean")],
)
def test_port_numbers_must_be_integers_in_range(value: str, hint: str) -> None:
    text = HEADER + f"spec:\n  ingress:\n  - port: {{number: {value}}}\n"
    (problem,) = problems_of(text)
    assert problem.path == "spec.ingress[0].port.number"
    assert hint in problem.message
    assert (problem.line, problem.column) == position(text, value + "}")


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_yaml_nan_and_infinity_are_refused(value: str) -> None:
    text = HEADER + f"spec: {{x: {value}}}\n"
    (problem,) = problems_of(text)
    assert problem.code == "not-finite"
    assert (problem.line, problem.column) == position(text, value)


# --------------------------------------------------------------------------- JSON (item 3)


def test_json_trailing_garbage() -> None:
    (problem,) = problems_of('{"apiVersion": "v1", "kind": "X"} trailing')
    assert problem.code == "json-syntax"
    assert "Extra data" in problem.message
    assert (problem.line, problem.column) == (1, 35)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused(constant: str) -> None:
    (problem,) = problems_of('{"apiVersion": "v1", "kind": "X", "spec": {"x": ' + constant + "}}")
    assert problem.code == "not-finite"
    assert constant.lstrip("-") in problem.message


def test_json_duplicate_keys_are_refused_at_the_second_key() -> None:
    text = '{\n  "apiVersion": "v1",\n  "kind": "X",\n  "kind": "Y"\n}\n'
    (problem,) = problems_of(text)
    assert problem.code == "duplicate-key"
    assert (problem.line, problem.column) == (4, 3)


# --------------------------------------------------------------------------- envelopes (item 4)


def test_missing_metadata_is_an_empty_one() -> None:
    (resource,) = sm.loads("apiVersion: networking.istio.io/v1\nkind: Sidecar\n")
    assert resource.metadata == sm.ObjectMeta()


@pytest.mark.parametrize(
    ("metadata", "path", "marker"),
    [
        ("metadata: [a]", "metadata", "metadata"),
        ("metadata: {name: 5}", "metadata.name", "5"),
        ("metadata: {labels: [a]}", "metadata.labels", "labels"),
        ("metadata: {name: Bad_Name}", "metadata.name", "Bad_Name"),
        ("metadata: {name: a, namespace: My.NS}", "metadata.namespace", "My.NS"),
        ("metadata: {name: " + "a" * 254 + "}", "metadata.name", "a" * 254),
    ],
)
def test_malformed_metadata(metadata: str, path: str, marker: str) -> None:
    text = f"apiVersion: v1\nkind: ConfigMap\n{metadata}\n"
    (problem,) = problems_of(text)
    assert problem.path == path
    assert (problem.line, problem.column) == position(text, marker)


def test_non_dns_names_say_what_is_allowed() -> None:
    (problem,) = problems_of("apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: Prod}\n")
    assert problem.code == "invalid-name"
    assert "DNS-1123 label" in problem.message


def test_dotted_names_are_valid_subdomains() -> None:
    (resource,) = sm.loads("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a.b-c.d}\n")
    assert resource.name == "a.b-c.d"


def test_a_list_containing_non_objects() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- 5\n- [a]\n"
    first, second = problems_of(text)
    assert (first.path, second.path) == ("items[0]", "items[1]")
    assert "Kubernetes object" in first.message
    assert (first.line, second.line) == (4, 5)


@pytest.mark.parametrize(
    ("value", "kind"),
    [("!!float x", "float"), ("!!float ''", "float"), ("!!bool x", "bool"), ("!!int x", "int")],
)
def test_explicit_scalar_tags_with_bad_values(value: str, kind: str) -> None:
    text = HEADER + f"spec: {{x: {value}}}\n"
    (problem,) = problems_of(text)
    assert problem.code == "bad-value"
    assert f"not a valid {kind}" in problem.message
    assert (problem.line, problem.column) == position(text, value)
