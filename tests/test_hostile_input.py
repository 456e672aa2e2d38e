"""Hostile and broken input: refused with a located ManifestError, in bounded time and memory.

Each test names the issue-7 item it covers; the codec error tests (test_codec_errors.py)
cover the type and field errors common to all input.
"""

from __future__ import annotations

import gc
import io
import json
import math
import os
import subprocess
import sys
import threading
import tracemalloc
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

import sidecar_model as sm
from sidecar_model._results import gc_paused
from sidecar_model.codec import Limits, load_paths
from sidecar_model.codec import _files as codec_files
from sidecar_model.codec import _yaml as codec_yaml
from sidecar_model.codec._embedded import structure_embedded, structure_yaml
from sidecar_model.codec._yaml import YAML_LOADER, Locator
from sidecar_model.errors import SourceError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SRC = Path(__file__).resolve().parent.parent / "src"

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
    (problem,) = problems_of(text, limits=Limits(max_size=20), source="big.yaml")
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


# =========================================================================== issue 16
# "Hostile input II": each section names the numbered problem it covers.

SIDECAR = (
    "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata:\n  name: a\n  namespace: b\n"
)


# --------------------------------------------------------------------------- 1: linear location


class CountingList(list):  # type: ignore[type-arg]
    """A list that counts how often it is iterated over."""

    iterations = 0

    def __iter__(self) -> Iterator[Any]:
        type(self).iterations += 1
        return super().__iter__()


def test_locating_many_problems_in_one_mapping_scans_it_once() -> None:
    text = "spec:\n" + "".join(f"  field{i}: 1\n" for i in range(200))
    root = yaml.compose(text, Loader=YAML_LOADER)
    assert root is not None
    spec = root.value[0][1]
    spec.value = CountingList(spec.value)
    CountingList.iterations = 0
    locator = Locator(root)
    nodes = [locator.find(["spec", f"field{i}"], key=True)[0] for i in range(200)]
    lines = [locator.position(node)[0] for node in nodes if node is not None]
    assert lines == list(range(2, 202))
    assert CountingList.iterations == 1


def test_every_one_of_many_unknown_fields_is_located() -> None:
    fields = "".join(f"  unknown{i}: 1\n" for i in range(2000))
    text = SIDECAR + "spec:\n" + fields
    problems = problems_of(text)
    assert len(problems) == 2000
    assert {p.code for p in problems} == {"unknown-field"}
    assert sorted(p.line for p in problems if p.line is not None) == list(range(7, 2007))


def test_locating_after_loading_composes_only_that_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documents = [SIDECAR.replace("name: a", f"name: s{i}") + "spec: {}\n" for i in range(5)]
    text = "---\n".join(documents)
    resources = sm.loads(text)
    composed: list[str] = []

    class Recording(YAML_LOADER):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            composed.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(codec_yaml, "YAML_LOADER", Recording)
    assert resources[3].locate("metadata.name") == (*position(text, "name: s3")[0:1], 9)
    assert resources[3].locate("kind") is not None
    assert len(composed) == 1
    assert "s3" in composed[0]
    assert "s2" not in composed[0]
    assert "s4" not in composed[0]


def test_long_values_are_quoted_shortened() -> None:
    host = "h" * 100_000
    text = SIDECAR + f"spec: {{outboundTrafficPolicy: {{mode: {host}}}}}\n"
    (problem,) = problems_of(text)
    assert len(str(problem)) < 500
    assert "100,000 characters" in problem.message
    (unknown,) = problems_of(SIDECAR + f"spec: {{{host}: 1}}\n")
    assert len(str(unknown)) < 1000


# --------------------------------------------------------------------------- 2: bounded reads


class Endless(io.RawIOBase):
    """A stream of zeros that never ends, counting what was read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = len(buffer)
        buffer[:size] = b"\0" * size
        self.read_bytes += size
        return size


def test_an_endless_stream_is_refused_after_the_limit() -> None:
    stream = Endless()
    with pytest.raises(sm.ManifestError) as caught:
        sm.load(
            typing.cast("typing.IO[bytes]", io.BufferedReader(stream)), limits=Limits(max_size=3000)
        )
    assert caught.value.problems[0].code == "too-large"
    assert stream.read_bytes < 3000 + 2 * 1024 * 1024


def test_endless_standard_input_is_refused_after_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = Endless()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(stream)))
    with pytest.raises(sm.ManifestError):
        load_paths(["-"], limits=Limits(max_size=100))
    assert stream.read_bytes < 100 + 2 * 1024 * 1024


def test_a_device_is_refused_unread() -> None:
    with pytest.raises(SourceError) as caught:
        sm.load("/dev/zero")
    assert caught.value.path == "/dev/zero"
    assert "device" in caught.value.reason


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(SIDECAR + "spec: {}\n")
    with pytest.raises(sm.ManifestError) as caught:
        sm.load(big, limits=Limits(max_size=10))
    assert caught.value.problems[0].code == "too-large"
    assert caught.value.problems[0].source == str(big)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_fifos_directories_and_loops_named_like_manifests_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(SIDECAR + "spec: {}\n")
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "folder.yaml").mkdir()  # a directory is searched, whatever its name
    (tmp_path / "folder.yaml" / "inner.yaml").write_text(SIDECAR.replace("name: a", "name: i"))
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    loaded = load_paths([tmp_path])
    assert [r.name for r in loaded.resources] == ["i", "a"]
    reasons = {Path(s.path).name: s.reason for s in loaded.skipped}
    assert set(reasons) == {"pipe.yaml", "loop.yaml"}
    assert "FIFO" in reasons["pipe.yaml"]


def test_paths_are_loaded_once_and_hidden_files_are_left_out(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SIDECAR + "spec: {}\n")
    (tmp_path / ".hidden.yaml").write_text("not: [valid")
    (tmp_path / "notes.txt").write_text("not: [valid")
    loaded = load_paths([tmp_path, tmp_path / "a.yaml"])
    assert len(loaded.resources) == 1


def test_problems_of_all_files_come_together(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SIDECAR + "spec: {x: 1}\n")
    (tmp_path / "b.yaml").write_text(SIDECAR + "spec: {y: 1}\n")
    with pytest.raises(sm.ManifestError) as caught:
        load_paths([tmp_path])
    assert [Path(p.source or "").name for p in caught.value.problems] == ["a.yaml", "b.yaml"]


# --------------------------------------------------------------------------- 3: one exception type


def _loop(directory: Path) -> Path:
    loop = directory / "loop.yaml"
    loop.symlink_to(loop)
    return loop


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(lambda d: d / "missing.yaml", "No such file", id="missing"),
        pytest.param(lambda d: d, "directory", id="directory"),
        pytest.param(_loop, "symbolic links", id="symlink-loop"),
    ],
)
def test_file_system_failures_are_source_errors(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(SourceError) as caught:
        sm.load(path)
    assert isinstance(caught.value, sm.SidecarModelError)
    assert caught.value.path == str(path)
    assert reason in caught.value.reason
    assert str(caught.value).startswith(str(path))


def test_an_unreadable_file_is_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("a: 1\n")

    def refuse(*_args: object, **_kwargs: object) -> typing.NoReturn:
        raise PermissionError(13, "Permission denied")

    # Tests may run as root, who reads anything: refuse the open itself.
    monkeypatch.setattr(codec_files, "open", refuse, raising=False)
    with pytest.raises(SourceError) as caught:
        load_paths([secret])
    assert (caught.value.path, caught.value.reason) == (str(secret), "Permission denied")


def test_status_must_be_a_mapping() -> None:
    (problem,) = problems_of("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: [1]\n")
    assert (problem.code, problem.path) == ("wrong-type", "status")
    assert problem.line == 4


def test_a_json_lone_surrogate_is_refused_where_it_is() -> None:
    text = '{"apiVersion": "v1", "kind": "ConfigMap",\n "data": {"k": "x\\ud800"}}'
    (problem,) = problems_of(text)
    assert problem.code == "bad-encoding"
    assert (problem.line, problem.column) == position(text, "\\ud800")
    paired = text.replace("\\ud800", "\\ud83d\\ude00")
    (resource,) = sm.loads(paired)
    assert sm.loads(sm.dumps(resource)) == [resource]


def test_closed_standard_input_is_a_clean_cli_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sidecar_model", "validate", "-"],
        stdin=None,
        preexec_fn=lambda: os.close(0),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=False,
    )
    assert result.returncode == 2
    assert "standard input is closed" in result.stderr
    assert "Traceback" not in result.stderr


# --------------------------------------------------------------------------- 4: lost Sidecars


def test_a_list_in_a_list_is_flattened() -> None:
    inner = {"apiVersion": "v1", "kind": "List", "items": [{
        "apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
        "metadata": {"name": "deep", "namespace": "b"}, "spec": {"egress": [{"hosts": [1]}]},
    }]}  # fmt: skip
    outer = {"apiVersion": "v1", "kind": "List", "items": [inner]}
    (problem,) = problems_of(json.dumps(outer))
    assert problem.path == "items[0].items[0].spec.egress[0].hosts[0]"
    inner["items"][0]["spec"] = {}  # type: ignore[index]
    (resource,) = sm.loads(json.dumps(outer))
    assert (resource.kind, resource.name) == ("Sidecar", "deep")
    assert resource.locate("metadata.name") is not None


@pytest.mark.parametrize(
    ("api_version", "kind", "served"),
    [
        ("networking.istio.io", "Sidecar", "networking.istio.io/v1, networking.istio.io/v1beta1"),
        ("networking.istio.io/v2", "Sidecar", "networking.istio.io/v1alpha3"),
        ("networking.istio.io/v1", "EnvoyFilter", "networking.istio.io/v1alpha3"),
        ("v2", "Service", ": v1"),
        ("apps/v1beta2", "Deployment", ": apps/v1"),
    ],
)
def test_api_version_must_be_served(api_version: str, kind: str, served: str) -> None:
    text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: a, namespace: b}}\n"
    (problem,) = problems_of(text)
    assert (problem.code, problem.path, problem.line) == ("unserved-version", "apiVersion", 1)
    assert served in problem.message


@pytest.mark.parametrize("version", ["v1", "v1beta1", "v1alpha3"])
def test_served_istio_versions_load(version: str) -> None:
    (resource,) = sm.loads(SIDECAR.replace("/v1", f"/{version}") + "spec: {}\n")
    assert isinstance(resource.spec, sm.Sidecar)


@pytest.mark.parametrize("api_version", ["example.com/v9", "example.com", "extensions.istio.io/v1"])
def test_unknown_groups_stay_opaque(api_version: str) -> None:
    (resource,) = sm.loads(f"apiVersion: {api_version}\nkind: Sidecar\nspec: {{any: [thing]}}\n")
    assert resource.spec == {"any": ("thing",)}


# --------------------------------------------------------------------------- 5: collector pause


def test_gc_pause_is_counted_across_threads() -> None:
    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with gc_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with gc_paused():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.isenabled())  # the first thread has left; this one has not

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [False]
    assert gc.isenabled()


def test_gc_pause_survives_many_threads_and_nesting() -> None:
    def work() -> None:
        for _ in range(200):
            with gc_paused(), gc_paused():
                assert not gc.isenabled()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.isenabled()


def test_gc_pause_keeps_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


# --------------------------------------------------------------------------- 6: hook order


def test_null_port_number_is_the_same_in_ingress_and_egress() -> None:
    text = SIDECAR + (
        "spec:\n  ingress:\n  - port: {number: null}\n    defaultEndpoint: 127.0.0.1:80\n"
        "  egress:\n  - port: {number: null}\n    hosts: [./*]\n"
    )
    (resource,) = sm.loads(text)
    assert resource.spec.ingress[0].port.number is None
    assert resource.spec.egress[0].port.number is None


def test_structuring_a_port_does_not_depend_on_what_was_loaded_before() -> None:
    script = (
        "import sidecar_model as sm\n"
        "print(sm.structure({'number': None}, sm.Port))\n"
        "sm.loads('apiVersion: networking.istio.io/v1\\nkind: Sidecar\\nspec: {}\\n')\n"
        "print(sm.structure({'number': None}, sm.Port))\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=True,
    )
    first, second = result.stdout.splitlines()
    assert first == second == repr(sm.Port())


# --------------------------------------------------------------------------- 7: own output


def test_json_nested_deeper_than_the_limit_is_refused() -> None:
    deep = "[" * 300 + "]" * 300
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "data": ' + deep + "}"
    (problem,) = problems_of(text)
    assert problem.code == "too-deep"
    assert "200" in problem.message
    shallow = '{"apiVersion": "v1", "kind": "ConfigMap", "data": ' + "[" * 150 + "]" * 150 + "}"
    (resource,) = sm.loads(shallow)
    assert sm.loads(sm.dumps(resource)) == [resource]


def test_a_json_number_beyond_a_float_is_refused() -> None:
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "data": {"x": 1e400}}'
    (problem,) = problems_of(text)
    assert problem.code == "not-finite"
    assert "1e400" in problem.message


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "status",
    [
        {"x": math.inf},
        {"x": "\ud800"},
        {"x": _nested(250)},
        {"x": 10**5000},
        {1: "x"},
    ],
    ids=["infinity", "surrogate", "deep", "huge-integer", "integer-key"],
)
def test_dumps_refuses_what_loads_would_refuse(status: dict[str, Any]) -> None:
    resource = sm.Resource(api_version="v1", kind="Pod", spec=None, status=status)
    formats: tuple[typing.Literal["yaml", "json"], ...] = ("yaml", "json")
    for fmt in formats:
        with pytest.raises(sm.ManifestError) as caught:
            sm.dumps(resource, format=fmt)
        assert caught.value.problems[0].code == "unwritable"


# --------------------------------------------------------------------------- 8: the rest


def test_a_byte_order_mark_may_open_a_later_document() -> None:
    first = (SIDECAR + "spec: {}\n").encode()
    second = b"\xef\xbb\xbf---\n" + SIDECAR.replace("name: a", "name: c").encode() + b"spec: {}\n"
    resources = sm.loads(first + second)
    assert [r.name for r in resources] == ["a", "c"]


@pytest.mark.parametrize(
    "stamp", ["2024-01-01", "2024-01-01T10:00:00", "2024-01-01 10:00:00Z", "1714557600"]
)
def test_timestamps_must_be_rfc3339_date_times(stamp: str) -> None:
    text = SIDECAR + f"  creationTimestamp: '{stamp}'\n"
    (problem,) = problems_of(text)
    assert (problem.code, problem.path) == ("wrong-type", "metadata.creationTimestamp")


def test_unquoted_date_only_timestamp_is_refused() -> None:
    (problem,) = problems_of(SIDECAR + "  creationTimestamp: 2024-01-01\n")
    assert problem.path == "metadata.creationTimestamp"


# --------------------------------------------------------------------------- issue 12 item 6


def test_a_subdomain_name_may_have_parts_longer_than_63() -> None:
    name = "virtual-service-destinations-matching-http-virtual-service-ports"
    assert len(name) == 64
    (resource,) = sm.loads(SIDECAR.replace("name: a", f"name: {name}") + "spec: {}\n")
    assert resource.name == name
    (too_long,) = problems_of(SIDECAR.replace("name: a", f"name: {'a' * 254}"))
    assert too_long.code == "invalid-name"


def test_a_namespace_is_a_label_of_at_most_63() -> None:
    (problem,) = problems_of(SIDECAR.replace("namespace: b", f"namespace: {'n' * 64}"))
    assert (problem.code, problem.path) == ("invalid-name", "metadata.namespace")
    (resource,) = sm.loads(SIDECAR.replace("namespace: b", f"namespace: {'n' * 63}"))
    assert resource.namespace == "n" * 63


ISTIO_CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |
    rootNamespace: istio-system
    outboundTrafficPolicy:
      mode: SOMETIMES
"""


def test_a_mesh_config_error_in_the_istio_configmap_names_its_file_and_line() -> None:
    (configmap,) = sm.loads(ISTIO_CONFIGMAP, source="istio.yaml")
    with pytest.raises(sm.ManifestError) as caught:
        structure_embedded(configmap, "data.mesh", sm.MeshConfig)
    (problem,) = caught.value.problems
    assert (problem.source, problem.document) == ("istio.yaml", 0)
    assert problem.path == "data.mesh: outboundTrafficPolicy.mode"
    assert (problem.line, problem.column) == position(ISTIO_CONFIGMAP, "SOMETIMES")


def test_a_mesh_config_error_in_a_quoted_mesh_is_placed_at_the_field() -> None:
    text = (
        ISTIO_CONFIGMAP.split("  mesh: |", maxsplit=1)[0] + '  mesh: "outboundTrafficPolicy: 5"\n'
    )
    (configmap,) = sm.loads(text, source="istio.yaml")
    with pytest.raises(sm.ManifestError) as caught:
        structure_embedded(configmap, "data.mesh", sm.MeshConfig)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == position(text, '"outboundTrafficPolicy')


def test_mesh_config_yaml_problems_have_lines() -> None:
    text = "rootNamespace: cfg\ndefaultVirtualServiceExportTo: 5\n"
    with pytest.raises(sm.ManifestError) as caught:
        structure_yaml(text, sm.MeshConfig, source="mesh.yaml")
    (problem,) = caught.value.problems
    assert (problem.source, problem.line, problem.column) == ("mesh.yaml", 2, 32)


def test_a_problem_in_a_json_list_composes_only_its_item(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}} for i in range(5)
    ]
    items[3]["metadata"] = {"name": "c3", "labels": {"k": 7}}
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})  # one line
    composed: list[str] = []

    class Recording(YAML_LOADER):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            composed.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(codec_yaml, "YAML_LOADER", Recording)
    (problem,) = problems_of(text)
    assert problem.path == "items[3].metadata.labels.k"
    assert (problem.line, problem.column) == position(text, "7}")
    assert len(composed) == 1
    assert composed[0].startswith('{"apiVersion"')
    assert '"c3"' in composed[0]
    assert '"c2"' not in composed[0]


def test_locate_in_an_item_of_an_indented_json_list() -> None:
    items = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}} for i in range(3)
    ]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2)
    resources = sm.loads(text)
    assert resources[2].locate("metadata.name") == position(text, '"c2"')


def _recording_composes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every compose record the text it was given."""
    composed: list[str] = []

    class Recording(YAML_LOADER):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            composed.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(codec_yaml, "YAML_LOADER", Recording)
    return composed


def _yaml_list(indent: str) -> str:
    """A kubectl-style List YAML of five ConfigMaps, items led by ``indent`` then ``- ``."""
    pad = indent + "  "
    items = "".join(
        f"{indent}- apiVersion: v1\n{pad}kind: ConfigMap\n{pad}metadata:\n"
        f"{pad}  name: c{i}\n{pad}  labels:\n{pad}    k: v{i}\n"
        for i in range(5)
    )
    return f"apiVersion: v1\nkind: List\nitems:\n{items}"


@pytest.mark.parametrize("indent", ["", "  "], ids=["kubectl", "indented"])
def test_locating_in_a_yaml_list_composes_only_that_item(
    monkeypatch: pytest.MonkeyPatch, indent: str
) -> None:
    text = _yaml_list(indent)
    resources = sm.loads(text)
    composed = _recording_composes(monkeypatch)
    assert resources[3].locate("metadata.labels.k") == position(text, "v3")
    metadata = position(text, f"metadata:\n{indent}    name: c3")
    assert resources[3].locate("metadata") == metadata
    assert len(composed) == 1
    assert "c3" in composed[0]
    assert "c2" not in composed[0]
    assert "c4" not in composed[0]


@pytest.mark.parametrize("indent", ["", "  "], ids=["kubectl", "indented"])
def test_a_problem_in_a_yaml_list_item_is_located_as_before(
    monkeypatch: pytest.MonkeyPatch, indent: str
) -> None:
    text = _yaml_list(indent).replace("k: v3", "k: 7")
    composed = _recording_composes(monkeypatch)
    (problem,) = problems_of(text)
    assert problem.path == "items[3].metadata.labels.k"
    assert (problem.line, problem.column) == position(text, "7\n")
    assert problem.document == 0
    # Located while loading, from the nodes already composed: nothing is composed again.
    assert len(composed) == 1


def test_every_item_of_a_yaml_list_is_located_at_its_own_first_key() -> None:
    text = _yaml_list("")
    for number, resource in enumerate(sm.loads(text)):
        line, column = position(text, f"name: c{number}")
        assert resource.locate("apiVersion") == (line - 3, 15)
        assert resource.locate("metadata") == (line - 1, 3)
        assert resource.locate("metadata.name") == (line, column + 6)


def test_a_yaml_list_in_flow_style_is_located_through_the_whole_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap,\n"
        "  metadata: {name: a}}, {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}]\n"
    )
    first, second = sm.loads(text)
    composed = _recording_composes(monkeypatch)
    assert second.locate("metadata.name") == position(text, "b}")
    assert first.locate("metadata.name") == position(text, "a}")
    assert len(composed) == 1
    assert composed[0] == text


def test_an_item_with_an_alias_to_another_item_falls_back_to_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: &meta\n    name: a\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: *meta\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n"
    )
    resources = sm.loads(text)
    composed = _recording_composes(monkeypatch)
    line, column = position(text, "name: a")
    assert resources[1].locate("metadata.name") == (line, column + 6)
    line, column = position(text, "name: c")
    assert resources[2].locate("metadata.name") == (line, column + 6)
    assert len(composed) == 3  # item 1 alone fails, its document; then item 2 alone
    assert composed[2].strip().startswith("apiVersion: v1\n  kind: ConfigMap\n  metadata:\n")


def test_a_list_in_a_yaml_list_locates_its_inner_items() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n"
        "  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: inner\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: outer\n"
    )
    inner, outer = sm.loads(text)
    assert inner.locate("metadata.name") == position(text, "inner")
    assert outer.locate("metadata.name") == position(text, "outer")


def test_a_mesh_config_error_in_the_istio_config_map_names_file_and_line(tmp_path: Path) -> None:
    manifest = tmp_path / "istio.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\n"
        "data:\n  mesh: |\n    rootNamespace: istio-system\n    outboundTrafficPolicy:\n"
        "      mode: SOMETIMES\n",
        encoding="utf-8",
    )
    with pytest.raises(sm.ManifestError) as caught:
        sm.Mesh.load(manifest)
    (problem,) = caught.value.problems
    assert problem.source == str(manifest)
    assert problem.line == 8
    assert problem.path == "data.mesh: outboundTrafficPolicy.mode"


def test_a_long_host_is_quoted_shortened_in_every_diagnostic() -> None:
    host = "ns/" + "a" * 100_000 + ".com"
    text = (
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: x, namespace: ns}\n"
        f'spec:\n  egress:\n  - hosts: ["{host}", "{host}"]\n'
    )
    result = sm.validate(sm.loads(text)[0])
    diagnostics = [*result.errors, *result.warnings]
    assert {d.code for d in diagnostics} == {"V23", "V24"}
    for diagnostic in diagnostics:
        assert len(str(diagnostic)) < 1_000
        assert "(100,00" in diagnostic.message  # the length is told instead
