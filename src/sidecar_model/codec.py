"""The one configured cattrs converter, and loading and dumping manifests with it.

Data flow: text → safe YAML/JSON parse (:mod:`sidecar_model._source`) → plain data →
:data:`converter` → typed, frozen :class:`~sidecar_model.Resource` objects; and back.

The converter is strict: a string field takes only a string (PyYAML turns unquoted
``yes`` into True and ``1.10`` into 1.1, and those are refused, not coerced), an
integer field only an integer in its wire range, an enum only one of its names, and an
unknown Sidecar field is an error naming the nearest valid one. Problems are reported
all at once, as one :class:`~sidecar_model.ManifestError`, each with its YAML path in
wire names and, when the data came from text, its line and column. Locating costs
nothing until something is wrong.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import functools
import json
import os
import re
import typing
import warnings
from typing import IO, TYPE_CHECKING, Any, Final, Literal, TypeVar

import attrs
import cattrs
import yaml
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from yaml.nodes import Node, ScalarNode

from sidecar_model._collections import FrozenDict, freeze, thaw
from sidecar_model._results import gc_paused
from sidecar_model._source import (
    Segment,
    SourceInfo,
    SourceText,
    find_node,
    format_path,
    parse_path,
    yaml_documents,
)
from sidecar_model.errors import ManifestError, Problem, UnknownFieldWarning
from sidecar_model.model import INT_RANGE, WIRE_NAME, Duration, DurationError
from sidecar_model.resources import ObjectMeta, Resource, spec_type_for

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = [
    "Limits",
    "converter",
    "dump",
    "dumps",
    "load",
    "loads",
    "read_yaml",
    "structure",
    "unstructure",
]

T = TypeVar("T")

#: The converter behind :func:`structure` and :func:`unstructure`. Every public attrs
#: class of the library structures from, and unstructures to, its wire form.
converter: Final = cattrs.Converter(
    forbid_extra_keys=True, detailed_validation=True, omit_if_default=True
)

# --------------------------------------------------------------------------- wire names


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


#: An attrs class with an attribute of this name types only some of its wire fields and
#: keeps every other one, verbatim and frozen, in that attribute (for kinds such as a
#: Kubernetes Service, whose spec resolution reads only in part).
KEEP_REST: Final = "extra"


def wire_names(cls: type[Any]) -> dict[str, str]:
    """Map each attribute of attrs class ``cls`` to its wire (JSON) name."""
    cached: dict[str, str] | None = _WIRE_NAMES.get(cls)
    if cached is None:
        cached = {a.name: a.metadata.get(WIRE_NAME, _camel(a.name)) for a in attrs.fields(cls)}
        _WIRE_NAMES[cls] = cached
    return cached


_WIRE_NAMES: dict[type[Any], dict[str, str]] = {}


# --------------------------------------------------------------------------- bad values


def add_note(error: BaseException, note: str) -> None:
    """Attach a cattrs validation note (an index or attribute) to ``error``.

    cattrs reads ``__notes__`` (PEP 678) to rebuild paths; assigning through
    ``__dict__`` works the same on Python 3.10, which has no ``add_note``.
    """
    error.__dict__.setdefault("__notes__", []).append(note)


class BadValueError(Exception):
    """A value of the wrong type or outside its allowed set, raised inside a hook."""

    def __init__(self, expected: str, value: object, code: str = "wrong-type") -> None:
        """``expected`` reads as a noun phrase: "a string", "one of DEFAULT, NONE"."""
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.code = code


def _describe(value: object) -> str:  # noqa: PLR0911 - one plain phrase per kind of value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _str_hook(value: Any, _: object) -> str:  # noqa: ANN401 - hooks take raw data
    if type(value) is str:
        return value
    raise BadValueError("a string", value)


def _bool_hook(value: Any, _: object) -> bool:  # noqa: ANN401 - hooks take raw data
    if type(value) is bool:
        return value
    raise BadValueError("true or false", value)


def _int_hook_for(low: int, high: int) -> Callable[[Any, object], int]:
    def structure_int(value: Any, _: object) -> int:  # noqa: ANN401 - hooks take raw data
        if type(value) is int and low <= value <= high:
            return value
        if type(value) is int:
            raise BadValueError(f"an integer from {low} to {high}", value, "out-of-range")
        raise BadValueError("an integer", value)

    return structure_int


def _enum_hook_factory(
    cls: type[enum.Enum], *, or_none: bool = False
) -> Callable[[Any, object], enum.Enum | None]:
    by_value: dict[object, enum.Enum | None] = {member.value: member for member in cls}
    names = ", ".join(map(str, by_value))
    if or_none:
        by_value[None] = None

    def structure_enum(value: Any, _: object) -> enum.Enum | None:  # noqa: ANN401
        try:
            return by_value[value]
        except (KeyError, TypeError):  # TypeError: an unhashable value such as a list
            raise BadValueError(f"one of {names}", value, "unknown-enum") from None

    return structure_enum


def _duration_hook(value: Any, _: object) -> Duration:  # noqa: ANN401 - hooks take raw data
    if type(value) is not str:
        raise BadValueError("a duration string such as '1.5s' or '250ms'", value)
    try:
        return _parse_duration(value)
    except DurationError as error:
        raise BadValueError(str(error), value, "invalid-duration") from None


# Manifests repeat the same few durations ("30ms", "1h"); Duration is immutable, so
# one parsed value can serve every occurrence of its text.
_parse_duration: Final = functools.lru_cache(maxsize=4096)(Duration.parse)


def _optional_str_hook(value: Any, _: object) -> str | None:  # noqa: ANN401
    if value is None or type(value) is str:
        return value
    raise BadValueError("a string", value)


def _optional_bool_hook(value: Any, _: object) -> bool | None:  # noqa: ANN401
    if value is None or type(value) is bool:
        return value
    raise BadValueError("true or false", value)


def _optional_duration_hook(value: Any, _: object) -> Duration | None:  # noqa: ANN401
    return None if value is None else _duration_hook(value, Duration)


def _timestamp_hook(value: Any, _: object) -> dt.datetime:  # noqa: ANN401 - hooks take raw data
    if isinstance(value, dt.datetime):
        return value
    if type(value) is str:
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    raise BadValueError("an RFC 3339 timestamp such as '2024-05-01T10:00:00Z'", value)


def _unstructure_timestamp(value: dt.datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _string_map_hook(value: Any, _: object) -> FrozenDict[str, str]:  # noqa: ANN401
    if type(value) is dict and all(type(k) is str and type(v) is str for k, v in value.items()):
        return FrozenDict(value)
    if type(value) is not dict:
        raise BadValueError("a mapping of strings to strings", value)
    errors: list[Exception] = []
    for key, item in value.items():
        if type(key) is not str:
            errors.append(BadValueError("string keys", key))
        elif type(item) is not str:
            error = BadValueError("a string", item)
            add_note(error, AttributeValidationNote(f"key {key}", key, str))
            errors.append(error)
    raise ClassValidationError("invalid string map", errors, FrozenDict)


def _verbatim_hook(value: Any, _: object) -> Any:  # noqa: ANN401 - verbatim data is untyped
    return freeze(value)


def _tuple_hook_factory(type_: Any) -> Callable[[Any, object], tuple[Any, ...]]:  # noqa: ANN401
    (item_type, _ellipsis) = typing.get_args(type_)
    if item_type is str:

        def structure_strings(value: Any, _: object) -> tuple[Any, ...]:  # noqa: ANN401
            if type(value) is list and all(type(v) is str for v in value):
                return tuple(value)
            return structure_items(value, _)

    item_hook = converter.get_structure_hook(item_type)

    def structure_items(value: Any, _: object) -> tuple[Any, ...]:  # noqa: ANN401
        if type(value) is not list:
            raise BadValueError("a list", value)
        result = []
        errors: list[Exception] = []
        for index, item in enumerate(value):
            try:
                result.append(item_hook(item, item_type))
            except Exception as error:  # noqa: BLE001, PERF203 - reported with its index
                add_note(error, IterableValidationNote(f"index {index}", index, item_type))
                errors.append(error)
        if errors:
            raise IterableValidationError("invalid list", errors, tuple)
        return tuple(result)

    return structure_strings if item_type is str else structure_items


def _optional_hook_factory(type_: Any) -> Callable[[Any, object], Any]:  # noqa: ANN401
    # Kubernetes prunes null fields, so null means "not set". Optional fields are the
    # most common kind, so the usual types get a hook that checks for None itself
    # rather than a wrapper around their own hook: one call per field, not two.
    (inner,) = (arg for arg in typing.get_args(type_) if arg is not type(None))
    direct = _OPTIONAL_HOOKS.get(inner)
    if direct is not None:
        return direct
    if _is_enum(inner):
        return _enum_hook_factory(inner, or_none=True)
    if _is_model_class(inner):
        return _structure_factory(inner, or_none=True)
    inner_hook = converter.get_structure_hook(inner)

    def structure_optional(value: Any, _: object) -> Any:  # noqa: ANN401
        # Kubernetes prunes null fields, so null means "not set".
        return None if value is None else inner_hook(value, inner)

    return structure_optional


_OPTIONAL_HOOKS: Final[dict[object, Callable[[Any, object], Any]]] = {
    str: _optional_str_hook,
    bool: _optional_bool_hook,
    Duration: _optional_duration_hook,
}


def _is_enum(type_: Any) -> bool:  # noqa: ANN401
    return isinstance(type_, type) and issubclass(type_, enum.Enum)


def _is_optional(type_: Any) -> bool:  # noqa: ANN401
    args = typing.get_args(type_)
    return type(None) in args and len(args) == 2  # noqa: PLR2004 - X | None has two members


def _is_frozen_dict(type_: Any) -> bool:  # noqa: ANN401
    return typing.get_origin(type_) is FrozenDict or type_ is FrozenDict


def _is_string_map(type_: Any) -> bool:  # noqa: ANN401
    return typing.get_args(type_) == (str, str)


def _is_tuple(type_: Any) -> bool:  # noqa: ANN401
    args = typing.get_args(type_)
    return typing.get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis  # noqa: PLR2004


def _is_resource(type_: Any) -> bool:  # noqa: ANN401
    return type_ is Resource or typing.get_origin(type_) is Resource


def _is_model_class(type_: Any) -> bool:  # noqa: ANN401
    return attrs.has(type_) and not _is_resource(type_) and type_ not in _SPECIAL_CLASSES


# --------------------------------------------------------------------------- attrs classes


def _structure_factory(cls: type[Any], *, or_none: bool = False) -> Callable[[Any, object], Any]:
    """The hook of an attrs model class; with ``or_none`` it also takes null (for ``X | None``)."""
    names = wire_names(cls)
    keeps_rest = KEEP_REST in names
    overrides: dict[str, Any] = {
        a.name: override(rename=names[a.name], struct_hook=_int_range_hook(a))
        for a in attrs.fields(cls)
    }
    if keeps_rest:
        overrides[KEEP_REST] = override(omit=True)
    generated = make_dict_structure_fn(
        cls, converter, _cattrs_forbid_extra_keys=not keeps_rest, **overrides
    )
    if keeps_rest:
        typed = frozenset(names.values()) - {names[KEEP_REST]}

        def structure_partly_typed(value: Any, type_: object) -> Any:  # noqa: ANN401
            if value is None and or_none:
                return None
            if type(value) is not dict:
                raise BadValueError("a mapping", value)
            result = generated(value, type_)
            rest = {key: item for key, item in value.items() if key not in typed}
            if rest:
                object.__setattr__(result, KEEP_REST, freeze(rest))
            return result

        return structure_partly_typed

    def structure_object(value: Any, type_: object) -> Any:  # noqa: ANN401
        if type(value) is dict:
            return generated(value, type_)
        if value is None and or_none:
            return None
        raise BadValueError("a mapping", value)

    return structure_object


def _int_range_hook(attribute: attrs.Attribute[Any]) -> Callable[[Any, object], int | None] | None:
    """The hook of an integer field whose metadata bounds it to its wire range, if it has one."""
    int_range = attribute.metadata.get(INT_RANGE)
    if not int_range:
        return None
    hook = _int_hook_for(*int_range)
    return _optional_int(hook) if _is_optional(attribute.type) else hook


def _optional_int(hook: Callable[[Any, object], int]) -> Callable[[Any, object], int | None]:
    def structure_optional_int(value: Any, type_: object) -> int | None:  # noqa: ANN401
        return None if value is None else hook(value, type_)

    return structure_optional_int


def _unstructure_factory(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    names = wire_names(cls)
    keeps_rest = KEEP_REST in names
    overrides: dict[str, Any] = {name: override(rename=wire) for name, wire in names.items()}
    if keeps_rest:
        overrides[KEEP_REST] = override(omit=True)
    generated = make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True, **overrides)
    if not keeps_rest:
        return generated

    def unstructure_partly_typed(value: Any) -> dict[str, Any]:  # noqa: ANN401
        data = generated(value)
        data.update(thaw(getattr(value, KEEP_REST)))
        return data

    return unstructure_partly_typed


# --------------------------------------------------------------------------- envelope

_ENVELOPE_KEYS: Final = frozenset({"apiVersion", "kind", "metadata", "spec", "status"})
_META_TYPED: Final = {
    "name": "name",
    "namespace": "namespace",
    "labels": "labels",
    "annotations": "annotations",
    "creationTimestamp": "creation_timestamp",
}


def _collect(
    errors: list[Exception],
    cls: type[Any],
    name: str,
    hook: Callable[[Any, Any], T],
    value: Any,  # noqa: ANN401
) -> T | None:
    """Run one field's hook, recording a failure against attribute ``name`` of ``cls``."""
    try:
        return hook(value, cls)
    except Exception as error:  # noqa: BLE001 - collected and reported with its path
        add_note(error, AttributeValidationNote(f"attribute {name}", name, cls))
        errors.append(error)
        return None


def _structure_metadata(value: Any, _: object) -> ObjectMeta:  # noqa: ANN401
    if type(value) is not dict:
        raise BadValueError("a mapping", value)
    errors: list[Exception] = []
    fields: dict[str, Any] = {}
    for wire, name, hook in _META_FIELDS:
        item = value.get(wire)
        if item is not None:
            fields[name] = _collect(errors, ObjectMeta, name, hook, item)
    if errors:
        raise ClassValidationError("invalid metadata", errors, ObjectMeta)
    extra = {key: item for key, item in value.items() if key not in _META_TYPED}
    return ObjectMeta(**fields, extra=extra)


# Kubernetes object names (of Istio's kinds among others) are DNS-1123 subdomains and
# namespaces DNS-1123 labels: lower case, unlike the host labels Istio checks (hosts.py).
_DNS1123_LABEL: Final = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_DNS1123_SUBDOMAIN: Final = re.compile(rf"{_DNS1123_LABEL}(?:\.{_DNS1123_LABEL})*")
_NAMESPACE: Final = re.compile(_DNS1123_LABEL)
_VALID_NAMESPACES: set[str] = set()


def _name_of_object(value: Any, _: object) -> str:  # noqa: ANN401 - hooks take raw data
    name = _str_hook(value, str)
    if len(name) <= 253 and _DNS1123_SUBDOMAIN.fullmatch(name):  # noqa: PLR2004 - K8s limit
        return name
    raise BadValueError(
        "a DNS-1123 subdomain: at most 253 characters of a-z, 0-9, '-' and '.', "
        "starting and ending with a letter or digit",
        value,
        "invalid-name",
    )


def _namespace_of_object(value: Any, _: object) -> str:  # noqa: ANN401 - hooks take raw data
    if value in _VALID_NAMESPACES:  # namespaces repeat across a cluster's objects
        return typing.cast("str", value)
    name = _str_hook(value, str)
    if _NAMESPACE.fullmatch(name):
        _VALID_NAMESPACES.add(name)
        return name
    raise BadValueError(
        "a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-', "
        "starting and ending with a letter or digit",
        value,
        "invalid-name",
    )


_META_FIELDS: Final[tuple[tuple[str, str, Callable[[Any, Any], Any]], ...]] = (
    ("name", "name", _name_of_object),
    ("namespace", "namespace", _namespace_of_object),
    ("labels", "labels", _string_map_hook),
    ("annotations", "annotations", _string_map_hook),
    ("creationTimestamp", "creation_timestamp", _timestamp_hook),
)


def _unstructure_metadata(meta: ObjectMeta) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if meta.name is not None:
        data["name"] = meta.name
    if meta.namespace is not None:
        data["namespace"] = meta.namespace
    if meta.labels:
        data["labels"] = dict(meta.labels)
    if meta.annotations:
        data["annotations"] = dict(meta.annotations)
    if meta.creation_timestamp is not None:
        data["creationTimestamp"] = _unstructure_timestamp(meta.creation_timestamp)
    data.update(thaw(meta.extra))
    return data


def _resource_hook_factory(type_: Any) -> Callable[[Any, object], Resource[Any]]:  # noqa: ANN401
    args = typing.get_args(type_)
    fixed_spec_type = args[0] if args and args[0] is not Any else None

    def structure_resource(value: Any, _: object) -> Resource[Any]:  # noqa: ANN401
        if type(value) is not dict:
            raise BadValueError("a mapping (a Kubernetes object)", value)
        errors: list[Exception] = []
        errors.extend(KeyError(key) for key in ("apiVersion", "kind") if value.get(key) is None)
        api_version = (
            _collect(errors, Resource, "api_version", _name_hook, value["apiVersion"])
            if value.get("apiVersion") is not None
            else None
        )
        kind = (
            _collect(errors, Resource, "kind", _name_hook, value["kind"])
            if value.get("kind") is not None
            else None
        )
        metadata = _collect(errors, Resource, "metadata", _metadata_of, value.get("metadata"))
        spec_type = fixed_spec_type
        if spec_type is None and api_version is not None and kind is not None:
            spec_type = spec_type_for(api_version, kind)
        spec = (
            freeze(value.get("spec"))
            if spec_type is None
            else _collect(errors, Resource, "spec", _hook_for(spec_type), _spec_data(value))
        )
        extra = {key: item for key, item in value.items() if key not in _ENVELOPE_KEYS}
        if spec_type is not None and extra:
            errors.append(ForbiddenExtraKeysError("", Resource, set(extra)))
        if errors:
            raise ClassValidationError("invalid resource", errors, Resource)
        return Resource(
            api_version=typing.cast("str", api_version),
            kind=typing.cast("str", kind),
            metadata=typing.cast("ObjectMeta", metadata),
            spec=spec,
            status=value.get("status"),
            extra=extra,
        )

    return structure_resource


def _name_hook(value: Any, _: object) -> str:  # noqa: ANN401 - hooks take raw data
    """``apiVersion`` and ``kind``: non-empty strings."""
    if _str_hook(value, str):
        return typing.cast("str", value)
    raise BadValueError("a non-empty string", value)


def _spec_data(value: dict[str, Any]) -> Any:  # noqa: ANN401 - raw data
    # A missing or null spec is an empty one; any other value is checked as given.
    spec = value.get("spec")
    return {} if spec is None else spec


def _hook_for(spec_type: type[Any]) -> Callable[[Any, Any], Any]:
    hook = _SPEC_HOOKS.get(spec_type)
    if hook is None:
        hook = _SPEC_HOOKS[spec_type] = converter.get_structure_hook(spec_type)
    return hook


_SPEC_HOOKS: dict[type[Any], Callable[[Any, Any], Any]] = {}


def _metadata_of(value: Any, _: object) -> ObjectMeta:  # noqa: ANN401
    return _EMPTY_META if value is None else _structure_metadata(value, ObjectMeta)


_EMPTY_META: Final = ObjectMeta()


def _unstructure_resource(resource: Resource[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "apiVersion": resource.api_version,
        "kind": resource.kind,
        "metadata": _unstructure_metadata(resource.metadata),
    }
    if resource.spec is not None:
        data["spec"] = converter.unstructure(resource.spec)
    if resource.status is not None:
        data["status"] = thaw(resource.status)
    data.update(thaw(resource.extra))
    return data


# --------------------------------------------------------------------------- registration
# Simple types first, then compound ones: later registrations win in cattrs.

_SPECIAL_CLASSES: Final = frozenset({Duration, ObjectMeta})

converter.register_structure_hook(str, _str_hook)
converter.register_structure_hook(bool, _bool_hook)
converter.register_structure_hook(int, _int_hook_for(-(2**63), 2**63 - 1))
converter.register_structure_hook(dt.datetime, _timestamp_hook)
converter.register_unstructure_hook(dt.datetime, _unstructure_timestamp)
converter.register_structure_hook(Duration, _duration_hook)
converter.register_unstructure_hook(Duration, str)
converter.register_structure_hook_factory(_is_enum, _enum_hook_factory)
converter.register_unstructure_hook_func(_is_enum, lambda member: member.value)
converter.register_structure_hook_func(
    lambda t: _is_frozen_dict(t) and not _is_string_map(t), _verbatim_hook
)
converter.register_structure_hook_func(
    lambda t: _is_frozen_dict(t) and _is_string_map(t), _string_map_hook
)
converter.register_unstructure_hook_func(_is_frozen_dict, thaw)
converter.register_structure_hook_factory(_is_tuple, _tuple_hook_factory)
converter.register_unstructure_hook_func(
    _is_tuple, lambda items: [converter.unstructure(i) for i in items]
)
converter.register_structure_hook_factory(_is_optional, _optional_hook_factory)
converter.register_structure_hook_factory(_is_model_class, _structure_factory)
converter.register_unstructure_hook_factory(_is_model_class, _unstructure_factory)
converter.register_structure_hook(ObjectMeta, _structure_metadata)
converter.register_unstructure_hook(ObjectMeta, _unstructure_metadata)
converter.register_structure_hook_factory(_is_resource, _resource_hook_factory)
converter.register_unstructure_hook_func(_is_resource, _unstructure_resource)


# --------------------------------------------------------------------------- problems


@attrs.frozen
class _Issue:
    """A problem found while structuring, before it is placed in a text."""

    segments: tuple[Segment, ...]
    code: str
    message: str
    value: object = None
    expected: str | None = None


def _issues(error: BaseException, segments: tuple[Segment, ...] = ()) -> Iterator[_Issue]:
    """Flatten cattrs' exception groups into issues with wire-name paths."""
    if isinstance(error, ClassValidationError | IterableValidationError):
        for sub in error.exceptions:
            yield from _issues(sub, (*segments, *_note_segment(sub, error)))
        return
    if isinstance(error, ForbiddenExtraKeysError):
        valid = sorted(wire_names(error.cl).values()) if attrs.has(error.cl) else []
        if error.cl is Resource:
            valid = sorted(_ENVELOPE_KEYS)
        for key in sorted(map(str, error.extra_fields)):
            close = difflib.get_close_matches(key, valid, n=1)
            hint = (
                f"; did you mean {close[0]!r}?" if close else f"; valid fields: {', '.join(valid)}"
            )
            yield _Issue((*segments, key), "unknown-field", f"unknown field {key!r}{hint}")
        return
    if isinstance(error, BadValueError):
        yield _Issue(segments, error.code, "", error.value, error.expected)
        return
    if isinstance(error, RecursionError):
        yield _Issue(segments, "too-deep", "the data is nested too deeply to read")
        return
    if isinstance(error, KeyError):
        field = str(error.args[0]) if error.args else "?"
        yield _Issue(segments, "missing-field", f"missing required field {field!r}")
        return
    yield _Issue(segments, "invalid", str(error) or type(error).__name__)


def _note_segment(sub: BaseException, group: BaseException) -> tuple[Segment, ...]:
    for note in reversed(getattr(sub, "__notes__", [])):
        if isinstance(note, IterableValidationNote):
            return (note.index,)
        if isinstance(note, AttributeValidationNote):
            owner = getattr(group, "cl", None)
            if owner is not None and attrs.has(owner):
                name = wire_names(owner).get(note.name, note.name)
            else:
                name = note.name
            # A missing required field is reported against its parent object.
            return () if isinstance(sub, KeyError) else (name,)
    return ()


def _fix_hint(issue: _Issue, node: Node | None) -> str:
    """Advice on how to write the value, using its source text when there is some."""
    # A plain (unquoted) scalar: libyaml marks its style '' and pure PyYAML None.
    raw = node.value if type(node) is ScalarNode and not node.style else None
    value, expected = issue.value, issue.expected or ""
    if raw is not None and expected == "a string" and isinstance(value, bool | int | float):
        return f'; YAML reads the unquoted {raw} as {_describe(value)}, so quote it: "{raw}"'
    if expected == "a string" and isinstance(value, bool | int | float):
        return "; quote the value so that it stays a string"
    if expected.startswith("an integer") and isinstance(value, str) and value.strip().isdigit():
        return f"; write the number without quotes: {value.strip()}"
    if expected.startswith("an integer") and isinstance(value, float):
        return "; it must be a whole number"
    if issue.code == "unknown-enum" and isinstance(value, str):
        names = expected.removeprefix("one of ").split(", ")
        close = difflib.get_close_matches(value.upper(), names, n=1)
        if close:
            return f"; did you mean {close[0]}?"
    return ""


def _problem(
    issue: _Issue,
    prefix: tuple[Segment, ...],
    document: int | None,
    root: Node | None,
    source: str | None,
) -> Problem:
    segments = (*prefix, *issue.segments)
    at_key = issue.code == "unknown-field"
    node, _exact = (None, False) if root is None else find_node(root, list(segments), key=at_key)
    message = issue.message
    if issue.expected is not None:
        if issue.code == "invalid-duration":
            message = issue.expected
        else:
            message = f"expected {issue.expected}, got {_describe(issue.value)}"
        message += _fix_hint(issue, node)
    return Problem(
        message=message,
        code=issue.code,
        path=format_path(segments),
        document=document,
        line=None if node is None else node.start_mark.line + 1,
        column=None if node is None else node.start_mark.column + 1,
        source=source,
    )


# --------------------------------------------------------------------------- loading


@attrs.frozen
class Limits:
    """Bounds that keep loading hostile input cheap. Raise them for unusual, trusted input."""

    #: Largest accepted text, in characters.
    max_size: int = 256 * 1024 * 1024
    #: Deepest nesting of maps and lists (YAML; JSON is bounded by Python's own stack).
    max_depth: int = 200
    #: Most objects in one text: documents plus the items of ``List`` documents.
    max_documents: int = 1_000_000
    #: Longest YAML scalar, in characters (a JSON string is bounded by ``max_size``).
    #: Kubernetes stores at most about 1.5 MB per object, so real values are far shorter.
    max_scalar_length: int = 4 * 1024 * 1024
    #: Nodes that alias expansion may add beyond the text's own size: aliases that
    #: repeat more than the text holds (a "billion laughs" document) are refused.
    alias_slack: int = 10_000


DEFAULT_LIMITS: Final = Limits()


class _Loading:
    """The state of one :func:`loads` call: results, problems, and where they came from."""

    def __init__(self, text: SourceText, *, strict: bool, limits: Limits) -> None:
        self.text = text
        self.strict = strict
        self.limits = limits
        #: Objects seen so far: documents, and the items of List documents.
        self.objects = 0
        self.resources: list[Resource[Any]] = []
        self.problems: list[Problem] = []
        #: Unknown fields dropped by non-strict loading, warned about by the caller.
        self.dropped: list[Problem] = []

    def problem(
        self,
        message: str,
        code: str,
        document: int | None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.problems.append(
            Problem(
                message=message,
                code=code,
                document=document,
                line=line,
                column=column,
                source=self.text.name,
            )
        )

    def document(self, index: int, root: Node | None, data: Any) -> None:  # noqa: ANN401
        if data is None:
            return
        self.objects += 1
        if self.objects > self.limits.max_documents:
            self.problem(
                f"more than {self.limits.max_documents} objects", "too-many-documents", index
            )
            return
        if type(data) is not dict:
            mark = root.start_mark if root is not None else None
            self.problem(
                f"a document must be a Kubernetes object (a mapping), not {_describe(data)}",
                "not-an-object",
                index,
                None if mark is None else mark.line + 1,
                None if mark is None else mark.column + 1,
            )
            return
        items = data.get("items")
        kind = data.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            self.objects += len(items) - 1
            if self.objects > self.limits.max_documents:
                self.problem(
                    f"more than {self.limits.max_documents} objects", "too-many-documents", index
                )
                return
            for position, item in enumerate(items):
                self.resource(item, index, root, ("items", position))
        else:
            self.resource(data, index, root, ())

    def resource(
        self,
        data: Any,  # noqa: ANN401 - raw data, checked by the hooks
        index: int,
        root: Node | None,
        prefix: tuple[Segment, ...],
    ) -> None:
        try:
            resource = _RESOURCE_HOOK(data, Resource)
        except Exception as error:  # noqa: BLE001 - every failure becomes a located problem
            issues = list(_issues(error))
            if not self.strict and any(i.code == "unknown-field" for i in issues):
                self.resource(self._pruned(data, issues, index, root, prefix), index, root, prefix)
                return
            self.problems.extend(_problem(i, prefix, index, root, self.text.name) for i in issues)
            return
        info = SourceInfo(self.text, index, prefix)
        self.resources.append(_with_source(resource, info))

    def _pruned(
        self,
        data: Any,  # noqa: ANN401 - raw data, checked by the hooks
        issues: list[_Issue],
        index: int,
        root: Node | None,
        prefix: tuple[Segment, ...],
    ) -> Any:  # noqa: ANN401
        pruned = _copy_containers(data)
        for issue in issues:
            if issue.code != "unknown-field":
                continue
            *parents, key = issue.segments
            holder = pruned
            for segment in parents:
                holder = holder[segment]
            del holder[key]
            problem = _problem(issue, prefix, index, root, self.text.name)
            self.dropped.append(attrs.evolve(problem, message=f"dropped {problem.message}"))
        return pruned


class _DataReading(_Loading):
    """Reading plain YAML data (no Kubernetes objects): each document's data is kept."""

    def __init__(self, text: SourceText, limits: Limits) -> None:
        super().__init__(text, strict=True, limits=limits)
        self.data: list[Any] = []

    def document(self, index: int, root: Node | None, data: Any) -> None:  # noqa: ANN401, ARG002
        self.data.append(data)


def read_yaml(
    text: str, *, source: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> list[Any]:
    """The plain data of each document of a YAML text, read as safely as :func:`loads` does.

    For YAML that is not a Kubernetes object, such as the MeshConfig held in the
    ``istio`` ConfigMap. Raises :class:`~sidecar_model.ManifestError` with positions.
    """
    reading = _DataReading(SourceText(text, source, is_json=False), limits)
    with gc_paused():
        _load_yaml(text, reading, limits)
    if reading.problems:
        raise ManifestError(reading.problems)
    return reading.data


def _with_source(resource: Resource[Any], info: SourceInfo) -> Resource[Any]:
    # Resource is frozen; setting the position bypasses __init__ to avoid
    # rebuilding (and re-freezing) an object that was just made.
    object.__setattr__(resource, "source", info)
    return resource


def _copy_containers(value: Any) -> Any:  # noqa: ANN401
    if type(value) is dict:
        return {k: _copy_containers(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy_containers(v) for v in value]
    return value


_RESOURCE_HOOK: Final = converter.get_structure_hook(Resource)


def _decode(text: str | bytes, name: str | None) -> str:
    if isinstance(text, str):
        return text.removeprefix("\ufeff")
    encoding = "utf-8-sig"
    for bom, bom_encoding in _BOMS:
        if text.startswith(bom):
            encoding = bom_encoding
            break
    try:
        return text.decode(encoding)
    except UnicodeDecodeError as error:
        problem = Problem(
            message=(
                f"the text is not valid {encoding.upper()}: {error.reason} at byte {error.start}"
            ),
            code="bad-encoding",
            source=name,
        )
        raise ManifestError([problem]) from None


_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


class _DuplicateKeyError(ValueError):
    """A JSON object that sets a key twice."""


class _NotJSONError(ValueError):
    """``NaN`` or ``Infinity``, which Python's reader takes but JSON does not have."""


def _not_json(constant: str) -> float:
    msg = f"{constant} is not a JSON value (JSON has no NaN or infinity)"
    raise _NotJSONError(msg)


def _duplicate_key_position(text: str) -> tuple[int | None, int | None]:
    """Where the YAML reader, which tracks positions, finds the second key (error path only)."""
    try:
        documents = yaml_documents(
            text, node_budget=len(text), max_depth=10**6, max_scalar=len(text)
        )
        for _root, _data, error in documents:
            if error is not None:
                return error.line, error.column
    except (yaml.YAMLError, UnicodeEncodeError, RecursionError):
        pass
    return None, None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                msg = f"duplicate key {key!r}"
                raise _DuplicateKeyError(msg)
            seen.add(key)
    return result


def loads(
    text: str | bytes,
    *,
    strict: bool = True,
    source: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Resource[Any]]:
    """Load every Kubernetes object in a YAML or JSON text.

    Multi-document YAML, a JSON object, and ``kind: List`` (or any ``*List``)
    wrappers as kubectl prints them all work. Sidecars get a typed
    :class:`~sidecar_model.Sidecar` spec; other kinds keep their spec verbatim.

    With ``strict=True`` (the default) an unknown field is an error; with
    ``strict=False`` it is dropped with an :class:`~sidecar_model.errors.UnknownFieldWarning`,
    as the Kubernetes API server prunes it. ``source`` names the text in messages.

    Raises :class:`~sidecar_model.ManifestError` listing every problem found.
    """
    decoded = _decode(text, source)
    if len(decoded) > limits.max_size:
        raise ManifestError(
            [
                Problem(
                    message=(
                        f"the text is {len(decoded)} characters long, more than the limit "
                        f"of {limits.max_size}"
                    ),
                    code="too-large",
                    source=source,
                )
            ]
        )
    is_json = _JSON_START.match(decoded) is not None
    loading = _Loading(SourceText(decoded, source, is_json), strict=strict, limits=limits)
    with gc_paused():
        if is_json:
            _load_json(decoded, loading)
        else:
            _load_yaml(decoded, loading, limits)
    if loading.problems:
        raise ManifestError(loading.problems)
    # Warn from here, so that the warning points at the caller's line.
    for problem in loading.dropped:
        warnings.warn(UnknownFieldWarning(problem), stacklevel=2)
    return loading.resources


# JSON text opens with a bracket followed by a quoted key, a bracket or a brace; YAML
# flow style (``{apiVersion: v1, ...}``) also opens with a bracket, but not so.
_JSON_START: Final = re.compile(r"\s*(\{\s*[\"}]|\[\s*[\[\]{\"\d-])")


def _load_json(text: str, loading: _Loading) -> None:
    """Load ``text`` as one JSON value, recording its problems in ``loading``."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_not_json)
    except json.JSONDecodeError as error:
        loading.problem(f"invalid JSON: {error.msg}", "json-syntax", 0, error.lineno, error.colno)
        return
    except _DuplicateKeyError as error:
        line, column = _duplicate_key_position(text)
        loading.problem(f"{error}; remove one of them", "duplicate-key", 0, line, column)
        _relocate(loading)
        return
    except _NotJSONError as error:
        loading.problem(f"invalid JSON: {error}", "not-finite", 0)
        _relocate(loading)
        return
    except ValueError as error:  # an integer with more digits than Python converts
        loading.problem(f"invalid JSON: {error}", "too-large", 0)
        _relocate(loading)
        return
    except RecursionError:
        loading.problem("nesting is too deep", "too-deep", 0)
        _relocate(loading)
        return
    # No node tree yet: problems are located afterwards, only if there are any.
    loading.document(0, None, data)
    if loading.problems:
        # Only now is it worth composing the text to find line numbers.
        _relocate(loading)


def _position_of(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of character ``offset`` of ``text``."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _relocate(loading: _Loading) -> None:
    """Give JSON problems their line and column, composing the text only now."""
    text = loading.text.text
    # Where the JSON value starts: the fallback when a path cannot be followed.
    start = _position_of(text, len(text) - len(text.lstrip()))
    root = loading.text.root(0)
    relocated = []
    for problem in loading.problems:
        if problem.line is None:
            at_key = problem.code == "unknown-field"
            node, _exact = find_node(root, parse_path(problem.path), key=at_key)
            line, column = (
                start if node is None else (node.start_mark.line + 1, node.start_mark.column + 1)
            )
            problem = attrs.evolve(problem, line=line, column=column)  # noqa: PLW2901
        relocated.append(problem)
    loading.problems[:] = relocated


def _load_yaml(text: str, loading: _Loading, limits: Limits) -> None:
    index = 0
    try:
        for index, (root, data, build_error) in enumerate(
            yaml_documents(
                text,
                node_budget=len(text) + limits.alias_slack,
                max_depth=limits.max_depth,
                max_scalar=limits.max_scalar_length,
            )
        ):
            if build_error is not None:
                loading.problem(
                    build_error.message,
                    build_error.code,
                    index,
                    build_error.line,
                    build_error.column,
                )
                continue
            loading.document(index, root, data)
    except yaml.reader.ReaderError as error:  # a character YAML forbids, such as NUL
        line, column = _position_of(text, error.position)
        loading.problem(f"invalid YAML: {error.reason}", "yaml-syntax", None, line, column)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = f"invalid YAML: {error.problem or error.context}"
        loading.problem(
            message,
            "yaml-syntax",
            None,
            None if mark is None else mark.line + 1,
            None if mark is None else mark.column + 1,
        )
    except yaml.YAMLError as error:
        loading.problem(f"invalid YAML: {error}", "yaml-syntax", None)
    except UnicodeEncodeError as error:
        loading.problem(
            f"the text holds a character that is not valid Unicode ({error.reason})",
            "bad-encoding",
            None,
        )
    except RecursionError:
        loading.problem(f"nesting is deeper than {limits.max_depth} levels", "too-deep", None)


def load(
    path_or_file: str | os.PathLike[str] | IO[str] | IO[bytes],
    *,
    strict: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Resource[Any]]:
    """Load every object of a YAML or JSON file, given by path or as an open file."""
    if isinstance(path_or_file, str | os.PathLike):
        name: str | None = os.fspath(path_or_file)
        with open(os.fspath(path_or_file), "rb") as file:  # noqa: PTH123 - str or PathLike
            content: str | bytes = file.read()
    else:
        name = str(getattr(path_or_file, "name", "")) or None
        content = path_or_file.read()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnknownFieldWarning)
        resources = loads(content, strict=strict, source=name, limits=limits)
    for warning in caught:
        warnings.warn(warning.message, stacklevel=2)
    return resources


# --------------------------------------------------------------------------- structure / dump


def structure(data: Any, cls: type[T]) -> T:  # noqa: ANN401 - takes any plain data
    """Build a ``cls`` value from plain wire-form data; raise ManifestError if it does not fit."""
    try:
        return converter.structure(data, cls)
    except Exception as error:  # noqa: BLE001 - every failure becomes a problem with a path
        raise ManifestError([_problem(i, (), None, None, None) for i in _issues(error)]) from None


def unstructure(obj: Any) -> Any:  # noqa: ANN401 - returns plain data
    """Turn any model value into plain wire-form data (camelCase keys, unset fields left out)."""
    return converter.unstructure(obj)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes block-style YAML, with multi-line strings (certificates) as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _as_list(resources: Resource[Any] | Iterable[Resource[Any]]) -> list[Resource[Any]]:
    return [resources] if isinstance(resources, Resource) else list(resources)


def dumps(
    resources: Resource[Any] | Iterable[Resource[Any]],
    *,
    format: Literal["yaml", "json"] = "yaml",  # noqa: A002 - the contract's name
) -> str:
    """Write resources as multi-document YAML, or as JSON (one object, or a ``List``)."""
    items = [unstructure(r) for r in _as_list(resources)]
    if format == "json":
        body: Any = (
            items[0] if len(items) == 1 else {"apiVersion": "v1", "kind": "List", "items": items}
        )
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump_all(
        items, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )


def dump(
    resources: Resource[Any] | Iterable[Resource[Any]],
    path_or_file: str | os.PathLike[str] | IO[str],
    *,
    format: Literal["yaml", "json"] | None = None,  # noqa: A002 - the contract's name
) -> None:
    """Write resources to a path or open text file; the format follows a ``.json`` suffix."""
    if isinstance(path_or_file, str | os.PathLike):
        name = os.fspath(path_or_file)
        chosen = format or ("json" if name.endswith(".json") else "yaml")
        with open(name, "w", encoding="utf-8") as file:  # noqa: PTH123
            file.write(dumps(resources, format=chosen))
        return
    path_or_file.write(dumps(resources, format=format or "yaml"))
