"""The one configured cattrs converter and its hooks for scalars, lists, maps and attrs classes.

Every hook is strict: a string field takes only a string, a boolean only true or false,
an integer only an integer in its wire range, an enum only one of its names. A hook raises
:class:`~sidecar_model.codec._problems.BadValueError`; problem translation words it.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import typing
from typing import TYPE_CHECKING, Any, Final

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from sidecar_model._collections import FrozenDict, freeze, frozen_map, thaw
from sidecar_model.codec._problems import BadValueError, add_note
from sidecar_model.codec._wire import KEEP_REST, wire_names
from sidecar_model.model import INT_RANGE, Duration, DurationError
from sidecar_model.resources import ObjectMeta, Resource

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "converter",
    "is_resource",
    "str_hook",
    "string_map_hook",
    "timestamp_hook",
    "unstructure_timestamp",
]

#: The converter behind :func:`structure` and :func:`unstructure`. Every public attrs
#: class of the library structures from, and unstructures to, its wire form.
converter: Final = cattrs.Converter(
    forbid_extra_keys=True, detailed_validation=True, omit_if_default=True
)


def str_hook(value: Any, _: object) -> str:  # noqa: ANN401 - hooks take raw data
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


def timestamp_hook(value: Any, _: object) -> dt.datetime:  # noqa: ANN401 - hooks take raw data
    """An RFC 3339 date-time with its time zone, as Kubernetes requires of timestamps."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    if type(value) is str and _RFC3339.fullmatch(value):
        text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:  # a date or time out of range, such as month 13
            pass
    raise BadValueError("an RFC 3339 timestamp such as '2024-05-01T10:00:00Z'", value)


# Date, "T", time with optional fraction, and a zone: what Go's time.RFC3339 parses.
_RFC3339: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)


def unstructure_timestamp(value: dt.datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def string_map_hook(value: Any, _: object) -> FrozenDict[str, str]:  # noqa: ANN401
    if type(value) is dict and all(type(k) is str and type(v) is str for k, v in value.items()):
        return frozen_map(value)
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


def is_resource(type_: Any) -> bool:  # noqa: ANN401
    return type_ is Resource or typing.get_origin(type_) is Resource


def _is_model_class(type_: Any) -> bool:  # noqa: ANN401
    return attrs.has(type_) and not is_resource(type_) and type_ not in SPECIAL_CLASSES


# --------------------------------------------------------------------------- attrs classes


def _structure_factory(cls: type[Any], *, or_none: bool = False) -> Callable[[Any, object], Any]:
    """The hook of an attrs model class; with ``or_none`` it also takes null (for ``X | None``)."""
    # Annotations are strings until resolved; the hooks below read the resolved types, so
    # that a hook does not depend on which class happened to be structured first.
    attrs.resolve_types(cls)
    names = wire_names(cls)
    keeps_rest = KEEP_REST in names
    overrides: dict[str, Any] = {
        a.name: override(rename=names[a.name], struct_hook=_int_range_hook(a))
        for a in attrs.fields(cls)
    }
    if keeps_rest:
        overrides[KEEP_REST] = override(rename=_REST, struct_hook=_verbatim_hook)
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
            fields = {key: item for key, item in value.items() if key in typed}
            rest = {key: item for key, item in value.items() if key not in typed}
            if rest:
                fields[_REST] = rest
            return generated(fields, type_)

        return structure_partly_typed

    def structure_object(value: Any, type_: object) -> Any:  # noqa: ANN401
        if type(value) is dict:
            return generated(value, type_)
        if value is None and or_none:
            return None
        raise BadValueError("a mapping", value)

    return structure_object


# The key under which the fields a class does not type reach its ``extra`` attribute: not
# a wire name, since only typed wire names are copied next to it.
_REST: Final = " rest"


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
    attrs.resolve_types(cls)
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


# --------------------------------------------------------------------------- registration
# Simple types first, then compound ones: later registrations win in cattrs.

SPECIAL_CLASSES: Final = frozenset({Duration, ObjectMeta})

converter.register_structure_hook(str, str_hook)
converter.register_structure_hook(bool, _bool_hook)
converter.register_structure_hook(int, _int_hook_for(-(2**63), 2**63 - 1))
converter.register_structure_hook(dt.datetime, timestamp_hook)
converter.register_unstructure_hook(dt.datetime, unstructure_timestamp)
converter.register_structure_hook(Duration, _duration_hook)
converter.register_unstructure_hook(Duration, str)
converter.register_structure_hook_factory(_is_enum, _enum_hook_factory)
converter.register_unstructure_hook_func(_is_enum, lambda member: member.value)
converter.register_structure_hook_func(
    lambda t: _is_frozen_dict(t) and not _is_string_map(t), _verbatim_hook
)
converter.register_structure_hook_func(
    lambda t: _is_frozen_dict(t) and _is_string_map(t), string_map_hook
)
converter.register_unstructure_hook_func(_is_frozen_dict, thaw)
converter.register_structure_hook_factory(_is_tuple, _tuple_hook_factory)
converter.register_unstructure_hook_func(
    _is_tuple, lambda items: [converter.unstructure(i) for i in items]
)
converter.register_structure_hook_factory(_is_optional, _optional_hook_factory)
converter.register_structure_hook_factory(_is_model_class, _structure_factory)
converter.register_unstructure_hook_factory(_is_model_class, _unstructure_factory)
