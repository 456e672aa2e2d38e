"""Every kind of problem the codec reports: its code, message, wire path, document and position.

Expected positions are computed from each test's own text with :func:`where`, so the
YAML can change without renumbering anything.
"""

from __future__ import annotations

import json
import math
import warnings
from typing import TYPE_CHECKING, Any

import pytest

from sidecar_model import (
    ManifestError,
    Resource,
    Sidecar,
    WorkloadSelector,
    dumps,
    loads,
    structure,
)
from sidecar_model.errors import Problem, UnknownFieldWarning

if TYPE_CHECKING:
    from pathlib import Path

HEADER = """\
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: web
  namespace: shop
"""


def where(text: str, marker: str, *, nth: int = 1) -> tuple[int, int]:
    """The 1-based (line, column) where the ``nth`` occurrence of ``marker`` starts in ``text``."""
    index = -1
    for _ in range(nth):
        index = text.index(marker, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def problems_of(text: str | bytes, **kwargs: Any) -> tuple[Problem, ...]:
    with pytest.raises(ManifestError) as info:
        loads(text, **kwargs)
    return info.value.problems


def only_problem(text: str | bytes, **kwargs: Any) -> Problem:
    problems = problems_of(text, **kwargs)
    assert len(problems) == 1, problems
    return problems[0]


def assert_at(problem: Problem, text: str, marker: str, *, nth: int = 1) -> None:
    assert (problem.line, problem.column) == where(text, marker, nth=nth)


# --------------------------------------------------------------------------- Sidecar fields

# (id, spec text, code, wire path, key phrases of the message, marker of the position)
FIELD_CASES = [
    pytest.param(
        "spec:\n  egresss:\n  - hosts: [shop/*]\n",
        "unknown-field",
        "spec.egresss",
        ["unknown field 'egresss'", "did you mean 'egress'?"],
        "egresss",
        id="unknown-spec-field",
    ),
    pytest.param(
        "spec:\n  egress:\n  - hosts: [shop/*]\n    prot:\n      number: 80\n",
        "unknown-field",
        "spec.egress[0].prot",
        ["unknown field 'prot'", "did you mean 'port'?"],
        "prot",
        id="unknown-nested-field",
    ),
    pytest.param(
        'spec:\n  egress:\n  - hosts: [shop/*]\n    port:\n      number: "80"\n',
        "wrong-type",
        "spec.egress[0].port.number",
        ["expected an integer", "the string '80'", "write the number without quotes: 80"],
        '"80"',
        id="number-quoted",
    ),
    pytest.param(
        "spec:\n  egress:\n  - hosts: [shop/*]\n    port:\n      number: true\n",
        "wrong-type",
        "spec.egress[0].port.number",
        ["expected an integer", "got the boolean true"],
        "true",
        id="number-bool",
    ),
    pytest.param(
        "spec:\n  egress:\n  - hosts: [shop/*]\n    port:\n      number: 80.5\n",
        "wrong-type",
        "spec.egress[0].port.number",
        ["expected an integer", "the number 80.5", "it must be a whole number"],
        "80.5",
        id="number-float",
    ),
    pytest.param(
        "spec:\n  egress:\n  - hosts: [shop/*]\n    port:\n      number: 4294967296\n",
        "out-of-range",
        "spec.egress[0].port.number",
        ["expected an integer from 0 to 4294967295", "got the number 4294967296"],
        "4294967296",
        id="number-above-uint32",
    ),
    pytest.param(
        "spec:\n  ingress:\n  - port:\n      number: -1\n",
        "out-of-range",
        "spec.ingress[0].port.number",
        ["expected an integer from 0 to 4294967295", "got the number -1"],
        "-1",
        id="number-negative",
    ),
    pytest.param(
        "spec:\n  ingress:\n  - port:\n      number: 8080\n    captureMode: IPTABLE\n",
        "unknown-enum",
        "spec.ingress[0].captureMode",
        ["one of DEFAULT, IPTABLES, NONE", "the string 'IPTABLE'", "did you mean IPTABLES?"],
        "IPTABLE",
        id="unknown-enum-name",
    ),
    pytest.param(
        "spec:\n  inboundConnectionPool:\n    tcp:\n      connectTimeout: 30xs\n",
        "invalid-duration",
        "spec.inboundConnectionPool.tcp.connectTimeout",
        ["invalid duration '30xs'", "unknown unit 'xs'"],
        "30xs",
        id="invalid-duration",
    ),
    pytest.param(
        "spec:\n  egress:\n  - port:\n      number: 80\n",
        "missing-field",
        "spec.egress[0]",
        ["missing required field 'hosts'"],
        "port:",
        id="missing-egress-hosts",
    ),
    pytest.param(
        "spec:\n  ingress:\n  - bind: 0.0.0.0\n",
        "missing-field",
        "spec.ingress[0]",
        ["missing required field 'port'"],
        "bind",
        id="missing-ingress-port",
    ),
    pytest.param(
        "spec:\n  outboundTrafficPolicy:\n    mode: REGISTRY_ONLY\n    egressProxy:\n"
        "      subset: v1\n",
        "missing-field",
        "spec.outboundTrafficPolicy.egressProxy",
        ["missing required field 'host'"],
        "egressProxy",
        id="missing-egress-proxy-host",
    ),
    pytest.param(
        "spec:\n  egress:\n  - hosts: 'shop/*'\n",
        "wrong-type",
        "spec.egress[0].hosts",
        ["expected a list", "got the string 'shop/*'"],
        "'shop/*'",
        id="hosts-as-string",
    ),
    pytest.param(
        "spec:\n  egress:\n    hosts: [shop/*]\n",
        "wrong-type",
        "spec.egress",
        ["expected a list", "got a mapping"],
        "egress",
        id="egress-as-mapping",
    ),
    pytest.param(
        "spec:\n- egress\n",
        "wrong-type",
        "spec",
        ["expected a mapping", "got a list"],
        "spec",
        id="spec-as-list",
    ),
]


@pytest.mark.parametrize(("spec", "code", "path", "phrases", "marker"), FIELD_CASES)
def test_field_problem(spec: str, code: str, path: str, phrases: list[str], marker: str) -> None:
    text = HEADER + spec
    problem = only_problem(text, source="sidecar.yaml")
    assert problem.code == code
    assert problem.path == path
    for phrase in phrases:
        assert phrase in problem.message
    assert problem.document == 0
    assert problem.source == "sidecar.yaml"
    # The marker sits below the header, so a position inside the header would be wrong.
    assert text.count(marker) == 1
    assert_at(problem, text, marker)
    assert "_" not in problem.path  # wire names, never snake_case


@pytest.mark.parametrize(
    ("field", "missing"),
    [("apiVersion", "kind: Sidecar\n"), ("kind", "apiVersion: networking.istio.io/v1\n")],
)
def test_missing_envelope_field(field: str, missing: str) -> None:
    text = missing + "metadata:\n  name: web\nspec: {}\n"
    problem = only_problem(text)
    assert problem.code == "missing-field"
    assert problem.message == f"missing required field {field!r}"
    assert problem.path == ""
    assert problem.document == 0
    # Reported against the whole object, which starts at its first key.
    assert (problem.line, problem.column) == (1, 1)


def test_unquoted_label_values_get_a_quoting_hint() -> None:
    text = HEADER + "spec:\n  workloadSelector:\n    labels:\n      enabled: yes\n      v: 1.10\n"
    first, second = problems_of(text)
    assert first.code == second.code == "wrong-type"
    assert first.path == "spec.workloadSelector.labels.enabled"
    assert "expected a string, got the boolean true" in first.message
    assert 'YAML reads the unquoted yes as the boolean true, so quote it: "yes"' in first.message
    assert_at(first, text, "yes")
    assert second.path == "spec.workloadSelector.labels.v"
    assert "got the number 1.1;" in second.message
    assert 'quote it: "1.10"' in second.message
    assert_at(second, text, "1.10")


def test_quoted_label_values_load() -> None:
    text = (
        HEADER + 'spec:\n  workloadSelector:\n    labels:\n      enabled: "yes"\n      v: "1.10"\n'
    )
    (resource,) = loads(text)
    selector = resource.spec.workload_selector
    assert isinstance(selector, WorkloadSelector)
    assert dict(selector.labels) == {"enabled": "yes", "v": "1.10"}


# --------------------------------------------------------------------------- strict=False


def test_lenient_loading_drops_unknown_fields_with_a_warning() -> None:
    text = (
        HEADER
        + "spec:\n  egresss: []\n  egress:\n  - hosts: [shop/*]\n    prot:\n      number: 1\n"
    )
    with pytest.warns(UnknownFieldWarning) as record:
        (resource,) = loads(text, strict=False, source="s.yaml")
    dropped = sorted(
        (w.message.problem for w in record if isinstance(w.message, UnknownFieldWarning)),
        key=lambda p: p.path,
    )
    assert [p.path for p in dropped] == ["spec.egress[0].prot", "spec.egresss"]
    assert all(p.code == "unknown-field" for p in dropped)
    assert all(p.message.startswith("dropped unknown field") for p in dropped)
    assert "did you mean 'egress'?" in dropped[1].message
    assert_at(dropped[0], text, "prot")
    assert_at(dropped[1], text, "egresss")
    line, column = where(text, "egresss")
    assert (
        f"s.yaml:{line}:{column}: document 0: spec.egresss: "
        "dropped unknown field 'egresss'; did you mean 'egress'?"
    ) in {str(w.message) for w in record}
    # Everything else loads.
    assert isinstance(resource.spec, Sidecar)
    assert [e.hosts for e in resource.spec.egress] == [("shop/*",)]
    assert resource.spec.egress[0].port is None


def test_lenient_loading_still_reports_other_problems() -> None:
    text = HEADER + "spec:\n  egresss: []\n  ingress: 5\n"
    with warnings.catch_warnings():
        # Whether fields dropped from a text that fails anyway are warned about is not the point.
        warnings.simplefilter("ignore", UnknownFieldWarning)
        problem = only_problem(text, strict=False)
    assert problem.code == "wrong-type"
    assert problem.path == "spec.ingress"
    assert_at(problem, text, "5")


def test_unknown_field_warning_points_at_the_caller() -> None:
    # stacklevel should make the warning name the line that called loads, not codec.py.
    with pytest.warns(UnknownFieldWarning) as record:
        loads(HEADER + "spec:\n  egresss: []\n", strict=False)
    assert record[0].filename == __file__


# --------------------------------------------------------------------------- YAML text


def test_yaml_syntax_error_has_its_line() -> None:
    text = HEADER + "spec:\n  egress:\n  - hosts:\n    - shop/*\n   bind: 0.0.0.0\n"
    problem = only_problem(text)
    assert problem.code == "yaml-syntax"
    assert problem.message.startswith("invalid YAML: ")
    assert problem.path == ""
    assert_at(problem, text, "bind")


def test_duplicate_key_is_an_error_at_the_second_key() -> None:
    text = HEADER + "spec:\n  egress: []\n  ingress: []\n  egress:\n  - hosts: [shop/*]\n"
    problem = only_problem(text)
    assert problem.code == "duplicate-key"
    assert "duplicate key 'egress'" in problem.message
    assert "remove one of them" in problem.message
    assert_at(problem, text, "egress", nth=2)


def test_build_errors_keep_their_document_and_later_documents_are_checked() -> None:
    text = (
        HEADER
        + "spec: {}\n---\n"
        + HEADER
        + "spec:\n  egress: []\n  egress: []\n---\n"
        + HEADER
        + "spec:\n  ingress: 5\n"
    )
    problems = problems_of(text)
    assert [(p.code, p.document) for p in problems] == [
        ("duplicate-key", 1),
        ("wrong-type", 2),
    ]


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    witness = tmp_path / "ran"
    text = (
        HEADER
        + f"spec: !!python/object/apply:os.system ['touch {witness}']\n"
        + "status: !!python/object:os.system {}\n"
    )
    problem = only_problem(text)
    assert problem.code == "unsupported-tag"
    assert "python/object/apply:os.system is not allowed" in problem.message
    assert_at(problem, text, "!!python")
    assert not witness.exists()


@pytest.mark.parametrize(
    ("document", "description"),
    [("- a\n- b\n", "a list"), ("hello\n", "the string 'hello'"), ("42\n", "the number 42")],
)
def test_document_that_is_not_an_object(document: str, description: str) -> None:
    text = HEADER + "spec: {}\n---\n" + document
    problem = only_problem(text)
    assert problem.code == "not-an-object"
    assert (
        problem.message == f"a document must be a Kubernetes object (a mapping), not {description}"
    )
    assert problem.document == 1
    assert_at(problem, text, document)


def test_problems_in_several_documents_are_reported_together() -> None:
    text = (
        HEADER
        + "spec:\n  egresss: []\n---\n"
        + HEADER
        + "spec:\n  egress:\n  - hosts: 5\n---\n# only a comment\n---\n"
        + HEADER
        + "spec:\n  ingress:\n  - port:\n      number: 99999999999\n"
    )
    with pytest.raises(ManifestError) as info:
        loads(text, source="all.yaml")
    error = info.value
    summary = [(p.document, p.path, p.code) for p in error.problems]
    assert summary == [
        (0, "spec.egresss", "unknown-field"),
        (1, "spec.egress[0].hosts", "wrong-type"),
        (3, "spec.ingress[0].port.number", "out-of-range"),
    ]
    assert_at(error.problems[0], text, "egresss")
    assert_at(error.problems[1], text, "5")
    assert_at(error.problems[2], text, "99999999999")
    lines = str(error).splitlines()
    assert lines[0] == "3 problems:"
    line, column = where(text, "egresss")
    assert lines[1] == (
        f"  all.yaml:{line}:{column}: document 0: spec.egresss: "
        "unknown field 'egresss'; did you mean 'egress'?"
    )
    assert lines[3].startswith("  all.yaml:")
    assert ": document 3: spec.ingress[0].port.number: expected an integer" in lines[3]


LIST_YAML = """\
apiVersion: v1
kind: List
items:
- apiVersion: networking.istio.io/v1
  kind: Sidecar
  metadata: {name: a}
  spec: {}
- apiVersion: networking.istio.io/v1
  kind: Sidecar
  metadata: {name: b}
  spec:
    egress:
    - hosts: [shop/*]
      port:
        number: eighty
"""


def test_bad_item_of_a_yaml_list() -> None:
    problem = only_problem(LIST_YAML)
    assert problem.code == "wrong-type"
    assert problem.path == "items[1].spec.egress[0].port.number"
    assert "got the string 'eighty'" in problem.message
    assert problem.document == 0
    assert_at(problem, LIST_YAML, "eighty")


# --------------------------------------------------------------------------- JSON text


def test_json_syntax_error_has_line_and_column() -> None:
    text = '{\n  "apiVersion": "networking.istio.io/v1",\n  "kind": ,\n  "spec": {}\n}\n'
    problem = only_problem(text)
    assert problem.code == "json-syntax"
    assert problem.message == "invalid JSON: Expecting value"
    assert problem.document == 0
    assert_at(problem, text, ',\n  "spec"')


def test_json_duplicate_key() -> None:
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "kind": "Secret"}'
    problem = only_problem(text)
    assert problem.code == "duplicate-key"
    assert "duplicate key 'kind'" in problem.message
    assert problem.document == 0


def test_bad_field_of_a_json_list_is_located_in_the_json_text() -> None:
    items = [
        {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "spec": {}},
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Sidecar",
            "spec": {"egress": [{"hosts": ["shop/*"], "port": {"number": "80"}}]},
        },
    ]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2)
    problem = only_problem(text, source="list.json")
    assert problem.code == "wrong-type"
    assert problem.path == "items[1].spec.egress[0].port.number"
    assert "write the number without quotes: 80" in problem.message
    assert problem.document == 0
    assert problem.source == "list.json"
    assert_at(problem, text, '"80"')


def test_json_top_level_must_be_an_object() -> None:
    problem = only_problem('[{"apiVersion": "v1", "kind": "ConfigMap"}]')
    assert problem.code == "not-an-object"
    assert problem.document == 0


def test_big_json_integer_is_not_called_a_duplicate_key() -> None:
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "data": {"n": ' + "9" * 5000 + "}}"
    problem = only_problem(text)
    assert problem.code != "duplicate-key"
    assert "remove one of them" not in problem.message


def test_flow_style_yaml_mapping_is_yaml_not_json() -> None:
    # Valid YAML that happens to start with "{" is not JSON.
    (resource,) = loads("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n")
    assert (resource.kind, resource.name) == ("ConfigMap", "c")


# --------------------------------------------------------------------------- encodings


def test_bytes_that_are_not_utf8() -> None:
    data = HEADER.encode() + b"spec: {}\nstatus: {note: caf\xe9}\n"
    problem = only_problem(data, source="latin1.yaml")
    assert problem.code == "bad-encoding"
    assert "UTF-8" in problem.message
    bad_byte = data.index(b"\xe9")
    assert f"at byte {bad_byte}" in problem.message
    assert problem.source == "latin1.yaml"


def test_bom_and_crlf_load_like_plain_text() -> None:
    text = HEADER + "spec:\n  egress:\n  - hosts: [shop/*]\n"
    expected = loads(text)
    crlf = text.replace("\n", "\r\n")
    assert loads(("\ufeff" + crlf).encode()) == expected
    assert loads("\ufeff" + crlf) == expected
    assert loads(b"\xef\xbb\xbf" + text.encode()) == expected


def test_crlf_positions_count_lines_not_carriage_returns() -> None:
    text = HEADER + "spec:\n  egress:\n  - hosts: 5\n"
    problem = only_problem(text.replace("\n", "\r\n").encode())
    assert_at(problem, text, "5")


# --------------------------------------------------------------------------- plain data


def test_structure_reports_paths_without_positions() -> None:
    data = {
        "egress": [{"hosts": ["shop/*"]}, {"hosts": "x", "port": {"number": "80"}}],
        "workloadSelector": {"labels": {"app": True}},
    }
    with pytest.raises(ManifestError) as info:
        structure(data, Sidecar)
    by_path = {p.path: p for p in info.value.problems}
    assert set(by_path) == {
        "egress[1].hosts",
        "egress[1].port.number",
        "workloadSelector.labels.app",
    }
    assert by_path["egress[1].hosts"].message == "expected a list, got the string 'x'"
    assert "write the number without quotes: 80" in by_path["egress[1].port.number"].message
    assert (
        "quote the value so that it stays a string"
        in by_path["workloadSelector.labels.app"].message
    )
    for problem in info.value.problems:
        assert (problem.line, problem.column, problem.document, problem.source) == (
            None,
            None,
            None,
            None,
        )
        assert problem.location == "<string>"


def test_structure_refuses_non_string_label_keys() -> None:
    with pytest.raises(ManifestError):
        structure({"workloadSelector": {"labels": {1: "a"}}}, Sidecar)


@pytest.mark.parametrize(
    "spec", ["[]", "0", "''", "false"], ids=["empty-list", "zero", "empty-string", "false"]
)
def test_falsy_spec_of_the_wrong_type_is_refused(spec: str) -> None:
    text = HEADER + f"spec: {spec}\n"
    problem = only_problem(text)
    assert problem.code == "wrong-type"
    assert problem.path == "spec"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("apiVersion: 0\nkind: ConfigMap\n", "apiVersion"),
        ("apiVersion: v1\nkind: false\n", "kind"),
        ("apiVersion: v1\nkind: ''\n", "kind"),
    ],
)
def test_falsy_envelope_field_is_refused(text: str, field: str) -> None:
    (problem,) = problems_of(text)
    assert problem.path == field or problem.message == f"missing required field {field!r}"


ODD_TEXTS = [
    pytest.param("", None, id="empty"),
    pytest.param("~\n", None, id="null-document"),
    pytest.param("{}", "missing-field", id="empty-json"),
    pytest.param("[]", "not-an-object", id="empty-json-list"),
    pytest.param("- - -\n", "not-an-object", id="nested-lists"),
    pytest.param("{1: 2}\n", "bad-key", id="int-key-flow"),
    pytest.param("1: 2\n", "bad-key", id="int-key"),
    pytest.param("? [a]\n: b\n", "bad-key", id="complex-key"),
    pytest.param("~: 1\n", "bad-key", id="null-key"),
    pytest.param("a: &x [*x]\n", "too-deep", id="recursive-alias"),
    pytest.param("<<: 5\n", "bad-merge", id="bad-merge"),
    pytest.param("!!set {a}\n", "unsupported-tag", id="set-tag"),
    pytest.param(
        HEADER + "spec:\n  egress: [null, [], 1]\n", "wrong-type", id="null-and-lists-in-egress"
    ),
    pytest.param(HEADER + "spec:\n  ingress:\n  - port: {number: .nan}\n", "not-finite", id="nan"),
    pytest.param(HEADER + "spec:\n  ingress:\n  - port: {number: .inf}\n", "not-finite", id="inf"),
    pytest.param(
        HEADER + "spec:\n  ingress:\n  - port: {number: " + "9" * 100 + "}\n",
        "out-of-range",
        id="huge",
    ),
    pytest.param(
        HEADER + "spec:\n  ingress:\n  - port: {number: " + "9" * 5000 + "}\n",
        "too-large",
        id="huge-5000",
    ),
    pytest.param(
        '{"apiVersion": "v1", "kind": "X", "n": ' + "9" * 5000 + "}", "too-large", id="json-5000"
    ),
    pytest.param('{"apiVersion": NaN, "kind": Infinity}', "not-finite", id="json-nan"),
    pytest.param("a: " + "[" * 1000 + "]" * 1000 + "\n", "yaml-syntax", id="deep-yaml"),
    pytest.param('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "too-deep", id="deep-json"),
    pytest.param("apiVersion: v1\x00\n", "yaml-syntax", id="nul-char"),
    pytest.param("apiVersion: \ud800\nkind: X\n", "bad-encoding", id="lone-surrogate"),
    pytest.param(b"\xff\xfe\x00", "bad-encoding", id="odd-utf16"),
    pytest.param(b"\x80\x81", "bad-encoding", id="not-utf8"),
    pytest.param(
        "apiVersion: v1\nkind: List\nitems: [5, null, []]\n", "wrong-type", id="list-of-junk"
    ),
    pytest.param(
        "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
        "alias-expansion",
        id="alias-expansion",
    ),
]


@pytest.mark.parametrize(("text", "code"), ODD_TEXTS)
def test_odd_text_is_refused_with_its_own_problem(text: str | bytes, code: str | None) -> None:
    # Empty texts hold nothing; everything else is refused with the problem that says why,
    # and never with anything but a ManifestError.
    if code is None:
        assert loads(text) == []
        return
    with pytest.raises(ManifestError) as caught:
        loads(text)
    assert code in {problem.code for problem in caught.value.problems}


ODD_DATA: list[tuple[Any, str]] = [
    (None, "wrong-type"),
    ([], "wrong-type"),
    ([[{}]], "wrong-type"),
    (5, "wrong-type"),
    ("spec", "wrong-type"),
    ({1: 2}, "unknown-field"),
    ({None: None}, "unknown-field"),
    ({"egress": None}, "wrong-type"),
    ({"egress": [None, [], 1]}, "wrong-type"),
    ({"egress": [{"hosts": [None, {}, 1]}]}, "wrong-type"),
    ({"workloadSelector": {"labels": {1: 2}}}, "wrong-type"),
    ({"workloadSelector": {"labels": None}}, "wrong-type"),
    ({"ingress": [{"port": {"number": 10**100}}]}, "out-of-range"),
    ({"ingress": [{"port": {"number": math.nan}}]}, "wrong-type"),
    ({"ingress": [{"port": {"number": -math.inf}}]}, "wrong-type"),
    ({"ingress": [{"port": {"number": 1}, "tls": {"mode": {}}}]}, "unknown-enum"),
    ({"inboundConnectionPool": {"tcp": {"connectTimeout": 10**30}}}, "wrong-type"),
    ({"inboundConnectionPool": {"tcp": {"connectTimeout": "9" * 40 + "h"}}}, "invalid-duration"),
    ({"outboundTrafficPolicy": {"mode": ["ALLOW_ANY"]}}, "unknown-enum"),
    ({"egress": ({"hosts": ("a/b",)},)}, "wrong-type"),
]


@pytest.mark.parametrize(("data", "code"), ODD_DATA, ids=repr)
def test_odd_data_is_refused_with_its_own_problem(data: Any, code: str) -> None:
    with pytest.raises(ManifestError) as caught:
        structure(data, Sidecar)
    assert code in {problem.code for problem in caught.value.problems}
    # As a whole object it lacks apiVersion and kind, or is not a mapping at all.
    with pytest.raises(ManifestError) as caught:
        structure(data, Resource)
    expected = "missing-field" if isinstance(data, dict) else "wrong-type"
    assert expected in {problem.code for problem in caught.value.problems}


# --------------------------------------------------------------------------- reporting


def test_problem_str_and_location() -> None:
    full = Problem(
        message="m",
        code="c",
        path="spec.egress[0]",
        document=2,
        line=7,
        column=3,
        source="f.yaml",
    )
    assert full.location == "f.yaml:7:3"
    assert str(full) == "f.yaml:7:3: document 2: spec.egress[0]: m"
    bare = Problem(message="m", code="c")
    assert bare.location == "<string>"
    assert str(bare) == "<string>: m"
    assert Problem(message="m", code="c", line=4).location == "<string>:4"
    # A column without a line says nothing and is left out.
    assert Problem(message="m", code="c", column=4, source="f").location == "f"


def test_manifest_error_str_with_one_problem() -> None:
    text = HEADER + "spec:\n  egress:\n  - hosts: 5\n"
    with pytest.raises(ManifestError) as info:
        loads(text, source="one.yaml")
    line, column = where(text, "5")
    assert str(info.value) == (
        f"one.yaml:{line}:{column}: document 0: spec.egress[0].hosts: "
        "expected a list, got the number 5"
    )
    assert isinstance(info.value, ValueError)


# --------------------------------------------------------------------------- locate

LOCATE_TEXT = (
    HEADER
    + """\
spec:
  egress:
  - hosts:
    - shop/*
  - hosts: [istio-system/*, "db/*"]
    port:
      number: 5432
"""
)


def test_locate_finds_paths_of_a_loaded_resource() -> None:
    (resource,) = loads(LOCATE_TEXT)
    assert resource.locate("spec.egress[1].hosts[0]") == where(LOCATE_TEXT, "istio-system/*")
    assert resource.locate("spec.egress[1].hosts[1]") == where(LOCATE_TEXT, '"db/*"')
    assert resource.locate("spec.egress[0].hosts[0]") == where(LOCATE_TEXT, "shop/*")
    assert resource.locate("spec.egress[1].port.number") == where(LOCATE_TEXT, "5432")
    assert resource.locate("metadata.name") == where(LOCATE_TEXT, "web")


@pytest.mark.parametrize(
    "path",
    ["spec.ingress", "spec.egress[2]", "spec.egress[0].port", "metadata.labels", "nope[0].x"],
)
def test_locate_unset_path_is_none(path: str) -> None:
    (resource,) = loads(LOCATE_TEXT)
    assert resource.locate(path) is None


def test_locate_in_an_item_of_a_list() -> None:
    text = LIST_YAML.replace("number: eighty", "number: 80")
    first, second = loads(text)
    assert second.locate("spec.egress[0].port.number") == where(text, "80")
    assert second.locate("spec.egress[0].hosts[0]") == where(text, "shop/*")
    assert second.locate("metadata.name") == where(text, "b}")
    assert first.locate("metadata.name") == where(text, "a}")
    assert first.locate("spec.egress") is None


def test_locate_without_source_is_none() -> None:
    (resource,) = loads(LOCATE_TEXT)
    plain = structure({"apiVersion": "v1", "kind": "ConfigMap"}, Resource)
    assert plain.locate("kind") is None
    assert resource.locate("kind") == where(LOCATE_TEXT, "Sidecar")


def test_no_warning_for_strict_clean_load() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (resource,) = loads(LOCATE_TEXT, strict=False)
    assert resource.name == "web"


# --------------------------------------------------------------------------- strictness pinned

STRICT_HEADER = "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: web\n"
HTTP_POOL = "spec:\n  inboundConnectionPool:\n    http:\n      useClientProtocol: "


@pytest.mark.parametrize(
    ("text", "code", "path"),
    [
        pytest.param(
            STRICT_HEADER + "spec:\n  egress:\n  - hosts: [true]\n",
            "wrong-type",
            "spec.egress[0].hosts[0]",
            id="bool-in-string-field",
        ),
        pytest.param(
            STRICT_HEADER + HTTP_POOL + '"true"\n',
            "wrong-type",
            "spec.inboundConnectionPool.http.useClientProtocol",
            id="string-true-in-bool-field",
        ),
        pytest.param(
            STRICT_HEADER + HTTP_POOL + "1\n",
            "wrong-type",
            "spec.inboundConnectionPool.http.useClientProtocol",
            id="one-in-bool-field",
        ),
        pytest.param(
            STRICT_HEADER + HTTP_POOL + "0\n",
            "wrong-type",
            "spec.inboundConnectionPool.http.useClientProtocol",
            id="zero-in-bool-field",
        ),
        pytest.param(
            STRICT_HEADER + "  creationTimestamp: 1714557600\n",
            "wrong-type",
            "metadata.creationTimestamp",
            id="integer-timestamp",
        ),
        pytest.param(
            STRICT_HEADER + "spec: {}\ndata: {a: b}\n",
            "unknown-field",
            "data",
            id="unknown-top-level-key",
        ),
        pytest.param(
            STRICT_HEADER.replace("name: web", "name: " + "a" * 254),
            "invalid-name",
            "metadata.name",
            id="name-over-253",
        ),
        pytest.param(
            STRICT_HEADER + "  namespace: team.a\n",
            "invalid-name",
            "metadata.namespace",
            id="namespace-with-a-dot",
        ),
        pytest.param(
            STRICT_HEADER + "spec: {}\nstatus: " + "[" * 200 + "]" * 200 + "\n",
            "too-deep",
            "",
            id="default-depth-limit",
        ),
    ],
)
def test_strictness_is_pinned(text: str, code: str, path: str) -> None:
    with pytest.raises(ManifestError) as caught:
        loads(text)
    (problem,) = caught.value.problems
    assert (problem.code, problem.path) == (code, path)


def test_default_depth_limit_allows_two_hundred_levels() -> None:
    # The document, status and 198 lists: 200 levels, the most the default allows.
    text = STRICT_HEADER + "spec: {}\nstatus: {a: " + "[" * 198 + "]" * 198 + "}\n"
    (resource,) = loads(text)
    assert resource.status is not None
    assert loads(dumps(resource)) == [resource]


@pytest.mark.parametrize("kind", ["Sidecar", "ServiceEntry", "VirtualService", "DestinationRule"])
def test_unknown_top_level_keys_are_refused_on_every_typed_kind(kind: str) -> None:
    text = f"apiVersion: networking.istio.io/v1\nkind: {kind}\nmetadata: {{name: x}}\nsurprise: 1\n"
    with pytest.raises(ManifestError) as caught:
        loads(text)
    (problem,) = caught.value.problems
    assert (problem.code, problem.path, problem.line) == ("unknown-field", "surprise", 4)


def test_unknown_top_level_keys_are_kept_on_opaque_kinds() -> None:
    (resource,) = loads("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n")
    assert resource.extra == {"data": {"a": "b"}}
