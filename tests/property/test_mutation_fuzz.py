"""Valid manifests, broken a little at a time, never make the library raise a foreign error.

Each example takes a known-good manifest (the bundled seed, ``tests/fixtures/every-field.yaml``
or documents of the benchmark corpus), breaks it structurally (a subtree replaced, a key
deleted or misspelt, a scalar of the wrong type, a list item duplicated, a value wrapped or
nested deeply) and then, for the text properties, textually (characters and lines deleted,
duplicated or inserted, tabs, NULs, BOMs, anchors, aliases and unsafe tags). The result goes
through :func:`~sidecar_model.loads` as YAML and as JSON, every loaded Sidecar through
:func:`~sidecar_model.validate`, and everything loaded through ``Mesh.from_resources``.

Only :class:`~sidecar_model.SidecarModelError` subclasses may escape, and every problem of a
:class:`~sidecar_model.ManifestError` about a text must say where it is (a path or a line).
The fuzz properties of ``test_codec_fuzz.py`` start from arbitrary data instead; these start
close to valid input, where the strict loader, the validator and the mesh builder all run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest
import yaml
from hypothesis import event, given, reject
from hypothesis import strategies as st

import sidecar_model as sm
from sidecar_model.errors import UnknownFieldWarning
from sidecar_model.examples import seed_text

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

pytestmark = pytest.mark.property

ROOT: Final = Path(__file__).parent.parent.parent
Segment = str | int
PathTuple = tuple[Segment, ...]


def _corpus_documents() -> list[Any]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from corpus import sidecar_documents  # noqa: PLC0415 - a script folder, not a package
    finally:
        sys.path.pop(0)
    return list(sidecar_documents(20, seed=0))


def _yaml_documents(text: str) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


_SEED: Final = _yaml_documents(seed_text())
_EVERY_FIELD: Final = _yaml_documents(
    (ROOT / "tests" / "fixtures" / "every-field.yaml").read_text(encoding="utf-8")
)
_CORPUS: Final = _corpus_documents()
#: The valid seeds of the atheris target: every kind the mesh builder reads, a List, anchors.
_FUZZ_SEEDS: Final = [
    _yaml_documents(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / "tests" / "fuzz" / "corpus").glob("valid-*"))
]

#: Small streams of valid documents: each file whole, each document alone, a few corpus ones.
STREAMS: Final[list[list[Any]]] = [
    _SEED,
    _EVERY_FIELD,
    *([doc] for doc in _SEED),
    *([doc] for doc in _EVERY_FIELD),
    *([doc] for doc in _CORPUS[:6]),
    _CORPUS[6:9],
    *_FUZZ_SEEDS,
]

# --------------------------------------------------------------------------- strategies

_KEYS: Final = [
    "apiVersion", "kind", "metadata", "spec", "status", "name", "namespace", "labels",
    "egress", "ingress", "hosts", "port", "number", "protocol", "bind", "captureMode",
    "workloadSelector", "outboundTrafficPolicy", "mode", "tls", "items", "egressProxy",
    "defaultEndpoint", "connectionPool", "inboundConnectionPool", "targetPort", "<<",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "*", "~", "yes", "1.10", "0x1F", "1e3", "10s", "unix://", "a/b"])
    | st.text(max_size=8)
)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: PathTuple = ()) -> Iterator[PathTuple]:
    """Every path below ``value``, itself included, in a stable order."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _get(root: Any, path: PathTuple) -> Any:
    for segment in path:
        root = root[segment]
    return root


def _set(root: Any, path: PathTuple, value: Any) -> Any:
    """Put ``value`` at ``path``; return the new root (which changes for the empty path)."""
    if not path:
        return value
    _get(root, path[:-1])[path[-1]] = value
    return root


def _typo(key: str, data: st.DataObject) -> str:
    if not key:
        return "x"
    i = data.draw(st.integers(0, len(key) - 1))
    j = min(i, len(key) - 2)
    typos: dict[str, Callable[[], str]] = {
        "drop": lambda: key[:i] + key[i + 1 :],
        "swap": lambda: key[:j] + key[j + 1 : j + 2] + key[j : j + 1] + key[j + 2 :],
        "double": lambda: key[: i + 1] + key[i:],
        "case": key.swapcase,
        "snake": lambda: "".join(f"_{c.lower()}" if c.isupper() else c for c in key),
        "plural": lambda: key + "s",
        "space": lambda: f" {key}" if i % 2 else f"{key} ",
        "other": lambda: data.draw(st.text(min_size=1, max_size=8)),
    }
    return typos[data.draw(st.sampled_from(sorted(typos)))]()


def _retyped(value: Any, data: st.DataObject) -> Any:
    """``value`` as another JSON type (int, string, bool, null, float) or an edge value."""
    candidates: list[Any] = [
        None,
        not value if isinstance(value, bool) else bool(value),
        str(value).lower() if isinstance(value, bool | None) else str(value),
        len(value) if isinstance(value, str) else 1,
        float(len(value)) + 0.5 if isinstance(value, str) else 8080.0,
        -1,
        0,
        2**31,
        2**64,
        1e308,
        -0.0,
        "",
        " ",
    ]
    if isinstance(value, int | float) and not isinstance(value, bool):
        candidates += [float(value), int(value), -value, str(value)]
    if isinstance(value, str) and value.lstrip("-").isdigit():
        candidates.append(int(value))
    return data.draw(st.sampled_from(candidates))


def _nested(value: Any, data: st.DataObject) -> Any:
    depth = data.draw(st.integers(min_value=1, max_value=240))
    as_list = data.draw(st.booleans())
    for level in range(depth):
        value = [value] if as_list or level % 3 == 0 else {"spec": value}
    return value


def _mutate_once(stream: Any, data: st.DataObject) -> Any:  # noqa: C901, PLR0911 - one case per mutation
    paths = list(_paths(stream))
    kind = data.draw(
        st.sampled_from(
            ["replace", "delete", "duplicate", "rename", "retype", "wrap", "nest", "swap-kinds"]
        ),
        label="mutation",
    )
    if kind == "replace":
        path = data.draw(st.sampled_from(paths[1:] or paths))
        return _set(stream, path, data.draw(json_like, label="replacement"))
    if kind in {"delete", "rename"}:
        keyed = [p for p in paths if p and isinstance(p[-1], str)]
        if not keyed:
            return stream
        path = data.draw(st.sampled_from(keyed))
        parent = _get(stream, path[:-1])
        value = parent.pop(path[-1])
        if kind == "rename":
            parent[_typo(str(path[-1]), data)] = value
        return stream
    if kind == "duplicate":
        lists = [p for p in paths if isinstance(_get(stream, p), list) and _get(stream, p)]
        if not lists:
            return stream
        items = _get(stream, data.draw(st.sampled_from(lists)))
        index = data.draw(st.integers(0, len(items) - 1))
        items.insert(index, copy.deepcopy(items[index]))
        return stream
    if kind == "retype":
        leaves = [p for p in paths if not isinstance(_get(stream, p), dict | list)]
        if not leaves:
            return stream
        path = data.draw(st.sampled_from(leaves))
        return _set(stream, path, _retyped(_get(stream, path), data))
    if kind == "swap-kinds":
        # A Sidecar body under another kind, or the reverse: the other loaders get Sidecar data.
        kinds = [p for p in paths if p and p[-1] == "kind"]
        if not kinds:
            return stream
        path = data.draw(st.sampled_from(kinds))
        other = data.draw(
            st.sampled_from(["Sidecar", "ServiceEntry", "Service", "Pod", "SidecarList", "List"])
        )
        return _set(stream, path, other)
    path = data.draw(st.sampled_from(paths[1:] or paths))
    value = _get(stream, path)
    return _set(stream, path, [value] if kind == "wrap" else _nested(value, data))


def _mutated_stream(data: st.DataObject) -> Any:
    stream: Any = copy.deepcopy(data.draw(st.sampled_from(STREAMS), label="stream"))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        stream = _mutate_once(stream, data)
    return stream


def _yaml_text(stream: Any) -> str:
    try:
        if isinstance(stream, list) and stream:
            return yaml.dump_all(stream, Dumper=yaml.CSafeDumper, sort_keys=False)
        return yaml.dump(stream, Dumper=yaml.CSafeDumper, sort_keys=False)
    except RecursionError:  # the dumper's own limit, not the library's
        reject()


def _json_text(stream: Any) -> str:
    if isinstance(stream, list) and len(stream) == 1:
        stream = stream[0]
    elif isinstance(stream, list):
        stream = {"apiVersion": "v1", "kind": "List", "items": stream}
    try:
        return json.dumps(stream)
    except RecursionError:
        reject()


# --------------------------------------------------------------------------- text mutations

_SNIPPETS: Final = [
    "\t", "\x00", "\ufeff", "\ud800", "\x85", "\u2028", "\r", "\n", ": ", "- ", "#", "'", '"',
    "[", "]", "{", "}", ",", "&a ", "*a", "*b", "<<: *a", "? ", "|", ">-", "%YAML 1.2\n",
    "---\n", "...\n", "!!python/object:os.system ", "!!python/object/apply:os.system [id]",
    "!!python/name:builtins.eval ", "!!binary ", "!!set ", "!!omap ", "!!timestamp ",
    "!!float ", "!!int ", "!!str ", "!custom ", "!<tag:yaml.org,2002:str> ", "@", "`", "~",
    "1e999", "0o17", "-.inf", ".nan", "99999999999999999999999", "\\u0000", "\\ud800",
]  # fmt: skip
_TAGS: Final = [
    "!!float", "!!int", "!!bool", "!!null", "!!str", "!!binary", "!!timestamp", "!!set",
    "!!omap", "!!pairs", "!!map", "!!seq", "!!merge", "!!value", "!!python/object:os.system",
    "!!python/object/apply:os.system", "!!python/name:builtins.eval", "!custom", "!",
]  # fmt: skip
_LINES: Final = [
    "", "  ", "\t", "kind: List", "items: *a", "spec: &a {}", "<<: *a", "  - *a", "---",
    "apiVersion: networking.istio.io/v1", "kind: Sidecar", "metadata: {name: x}",
    "spec: {egress: [{hosts: ['./*']}]}", "status: {}", "a: &a [*a]", "? [a]\n: b",
]  # fmt: skip


def _mutate_text(text: str, data: st.DataObject) -> str:  # noqa: PLR0911, C901 - one case per mutation
    kind = data.draw(
        st.sampled_from(
            ["delete", "duplicate", "insert", "delete-line", "duplicate-line", "insert-line",
             "anchor", "tag", "truncate"]
        ),
        label="text mutation",
    )  # fmt: skip
    at = data.draw(st.integers(0, len(text)), label="position")
    lines = text.split("\n")
    line = data.draw(st.integers(0, len(lines) - 1), label="line")
    if kind == "delete":
        return text[:at] + text[at + 1 :]
    if kind == "duplicate":
        return text[:at] + text[at : at + 1] + text[at:]
    if kind == "insert":
        snippet = data.draw(st.sampled_from(_SNIPPETS) | st.characters(), label="snippet")
        return text[:at] + snippet + text[at:]
    if kind == "delete-line":
        return "\n".join(lines[:line] + lines[line + 1 :])
    if kind == "duplicate-line":
        return "\n".join(lines[: line + 1] + lines[line:])
    if kind == "insert-line":
        indent = " " * data.draw(st.integers(0, 6))
        new = indent + data.draw(st.sampled_from(_LINES), label="new line")
        return "\n".join([*lines[:line], new, *lines[line:]])
    if kind == "tag":
        # A tag in front of a key or a value, where YAML applies it to the whole node.
        tag = data.draw(st.sampled_from(_TAGS), label="tag")
        head, sep, tail = lines[line].partition(": ")
        if data.draw(st.booleans(), label="tag the value") and sep:
            lines[line] = f"{head}: {tag} {tail}"
        else:
            body = lines[line].lstrip(" -")
            lines[line] = f"{lines[line][: len(lines[line]) - len(body)]}{tag} {body}"
        return "\n".join(lines)
    if kind == "anchor":
        # Anchor one value and refer to it from another: the alias repeats a real subtree.
        target = data.draw(st.integers(0, len(lines) - 1), label="alias line")
        lines[line] = lines[line].replace(": ", ": &a ", 1) if ": " in lines[line] else lines[line]
        if ": " in lines[target] and target != line:
            head, _sep, _tail = lines[target].partition(": ")
            lines[target] = f"{head}: *a"
        elif lines[target].rstrip().endswith(":"):
            lines[target] = f"{lines[target].rstrip()} *a"
        return "\n".join(lines)
    return text[:at]


def _encoded(text: str, data: st.DataObject) -> str | bytes:
    encoding = data.draw(
        st.sampled_from(["str", "utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1"]),
        label="encoding",
    )
    if encoding == "str":
        return text
    return text.encode(encoding, errors="surrogatepass" if "utf" in encoding else "replace")


# --------------------------------------------------------------------------- the checks


def _quietly(load: Callable[[], list[sm.Resource[Any]]]) -> list[sm.Resource[Any]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownFieldWarning)
        return load()


def _check_text(text: str | bytes, *, strict: bool) -> None:
    """Load, validate and build a mesh; only located SidecarModelErrors may escape."""
    try:
        resources = _quietly(lambda: sm.loads(text, strict=strict, source="fuzz.yaml"))
    except sm.ManifestError as error:
        event("loads: rejected with located problems")
        _check_located(error)
        return
    except sm.SidecarModelError:
        event("loads: rejected otherwise")
        return
    event("loads: accepted, then validated and built into a mesh")
    _check_resources(resources)


def _check_located(error: sm.ManifestError) -> None:
    assert error.problems
    for problem in error.problems:
        assert problem.message
        assert problem.code
        # A text that is not valid in its encoding has no line to point at.
        if problem.code != "bad-encoding":
            assert problem.path or problem.line is not None, problem


def _check_resources(resources: list[sm.Resource[Any]]) -> None:
    for resource in resources:
        if isinstance(resource.spec, sm.Sidecar):
            try:
                result = sm.validate(resource)
            except sm.SidecarModelError:
                continue
            assert all(d.message for d in (*result.errors, *result.warnings))
    mesh = pytest.importorskip("sidecar_model.mesh")
    with contextlib.suppress(sm.SidecarModelError), warnings.catch_warnings():
        warnings.simplefilter("ignore", mesh.DuplicateObjectWarning)  # a repeated document
        mesh.Mesh.from_resources(resources)


@given(st.data())
def test_structural_mutations_raise_only_sidecar_model_errors(data: st.DataObject) -> None:
    strict = data.draw(st.booleans(), label="strict")
    stream = _mutated_stream(data)
    _check_text(_yaml_text(stream), strict=strict)
    _check_text(_json_text(stream), strict=strict)


@given(st.data())
def test_text_mutations_raise_only_sidecar_model_errors(data: st.DataObject) -> None:
    strict = data.draw(st.booleans(), label="strict")
    stream: Any = copy.deepcopy(data.draw(st.sampled_from(STREAMS), label="stream"))
    if data.draw(st.booleans(), label="also structural"):
        stream = _mutate_once(stream, data)
    text = data.draw(st.sampled_from([_yaml_text, _json_text]), label="format")(stream)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="text mutations")):
        text = _mutate_text(text, data)
    _check_text(_encoded(text, data), strict=strict)


def test_the_streams_start_loadable() -> None:
    """The mutations start from input that loads (every-field.yaml need not pass the webhook)."""
    for stream in STREAMS:
        for text in (_yaml_text(stream), _json_text(stream)):
            resources = sm.loads(text)
            # A ``kind: List`` seed holds several objects in one document.
            assert len(resources) >= len(stream)
            _check_resources(resources)
