"""Structuring plain data, and writing resources back as YAML or JSON."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from typing import IO, TYPE_CHECKING, Any, Final, Literal, TypeVar

import yaml

from sidecar_model.codec._converter import converter
from sidecar_model.codec._loading import DEFAULT_LIMITS
from sidecar_model.codec._problems import issues_of, located_problem
from sidecar_model.errors import ManifestError, Problem
from sidecar_model.resources import Resource

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["dump", "dumps", "structure", "unstructure"]

T = TypeVar("T")


def structure(data: Any, cls: type[T]) -> T:  # noqa: ANN401 - takes any plain data
    """Build a ``cls`` value from plain wire-form data; raise ManifestError if it does not fit."""
    try:
        return converter.structure(data, cls)
    except Exception as error:  # noqa: BLE001 - every failure becomes a problem with a path
        problems = [located_problem(i, (), None, None, None) for i in issues_of(error)]
        raise ManifestError(problems) from None


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
    _check_writable(items)
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


def _check_writable(items: list[Any]) -> None:
    """Refuse data that :func:`loads` would refuse, rather than write it.

    Verbatim parts of a resource (a spec the library does not type, ``status``, fields
    kept in ``extra``) hold whatever they were given; :func:`loads` refuses non-finite
    numbers, lone surrogates, non-string keys and nesting deeper than the depth limit.
    """
    problems: list[Problem] = []
    for index, item in enumerate(items):
        reason = _unwritable(item)
        if reason is not None:
            problems.append(Problem(message=reason, code="unwritable", document=index))
    if problems:
        raise ManifestError(problems)


def _unwritable(data: Any) -> str | None:  # noqa: ANN401 - plain data
    limit = DEFAULT_LIMITS.max_depth
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        kind = type(value)
        if kind is dict or kind is list:
            if depth >= limit:
                return f"nesting is deeper than {limit} levels, which loading refuses"
            if kind is dict and any(type(key) is not str for key in value):
                return "a mapping has a key that is not a string"
            children = value.values() if kind is dict else value
            stack.extend((child, depth + 1) for child in children)
        elif kind is int and _too_many_digits(value):
            return "an integer has more digits than Python writes as text"
        elif kind is float and not math.isfinite(value):
            return f"{value} is not a finite number, which JSON and Kubernetes cannot hold"
        elif kind is str and _SURROGATE.search(value):
            return "a string holds a lone UTF-16 surrogate, which is not a Unicode character"
    return None


def _too_many_digits(value: int) -> bool:
    # Python refuses to write integers longer than sys.get_int_max_str_digits() (0: no limit);
    # a bit is log10(2) of a digit, so this errs only on the side of allowing a few more.
    limit = sys.get_int_max_str_digits()
    return limit > 0 and value.bit_length() * _DIGITS_PER_BIT > limit


_DIGITS_PER_BIT: Final = math.log10(2)
_SURROGATE: Final = re.compile("[\\ud800-\\udfff]")
