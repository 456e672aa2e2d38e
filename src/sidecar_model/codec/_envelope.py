"""The Kubernetes envelope: hooks for ``Resource`` and ``ObjectMeta``.

``apiVersion`` and ``kind`` pick the spec type; kinds the library does not model keep
their spec verbatim. Object names and namespaces are checked as Kubernetes checks them.
"""

from __future__ import annotations

import functools
import re
import typing
from typing import TYPE_CHECKING, Any, Final, TypeVar

from cattrs.errors import AttributeValidationNote, ClassValidationError, ForbiddenExtraKeysError

from sidecar_model._collections import freeze, thaw
from sidecar_model.codec._converter import (
    converter,
    is_resource,
    str_hook,
    string_map_hook,
    timestamp_hook,
    unstructure_timestamp,
)
from sidecar_model.codec._problems import BadValueError, add_note
from sidecar_model.codec._wire import ENVELOPE_KEYS
from sidecar_model.resources import (
    ObjectMeta,
    Resource,
    SourceLocator,
    served_versions,
    spec_type_for,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["structure_resource"]

T = TypeVar("T")

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
# A subdomain limits only its whole length (253), not each dot-separated part
# (Kubernetes' IsDNS1123Subdomain); a label is at most 63 characters.
_DNS_PART: Final = r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN: Final = re.compile(rf"{_DNS_PART}(?:\.{_DNS_PART})*")
_NAMESPACE: Final = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
_VALID_NAMESPACES: set[str] = set()


def _name_of_object(value: Any, _: object) -> str:  # noqa: ANN401 - hooks take raw data
    name = str_hook(value, str)
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
    name = str_hook(value, str)
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
    ("labels", "labels", string_map_hook),
    ("annotations", "annotations", string_map_hook),
    ("creationTimestamp", "creation_timestamp", timestamp_hook),
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
        data["creationTimestamp"] = unstructure_timestamp(meta.creation_timestamp)
    data.update(thaw(meta.extra))
    return data


def _resource_hook_factory(type_: Any) -> Callable[[Any, object], Resource[Any]]:  # noqa: ANN401
    args = typing.get_args(type_)
    fixed_spec_type = args[0] if args and args[0] is not Any else None

    def structure_resource_hook(value: Any, _: object) -> Resource[Any]:  # noqa: ANN401
        return _resource(value, fixed_spec_type, None)

    return structure_resource_hook


def structure_resource(value: Any, source: SourceLocator) -> Resource[Any]:  # noqa: ANN401
    """A resource of any kind from raw data, remembering where it was loaded from."""
    return _resource(value, None, source)


def _resource(
    value: Any,  # noqa: ANN401 - raw data
    fixed_spec_type: type[Any] | None,
    source: SourceLocator | None,
) -> Resource[Any]:
    if type(value) is not dict:
        raise BadValueError("a mapping (a Kubernetes object)", value)
    errors: list[Exception] = []
    errors.extend(KeyError(key) for key in ("apiVersion", "kind") if value.get(key) is None)
    api_version = _collect(errors, Resource, "api_version", _name_hook, value.get("apiVersion"))
    kind = _collect(errors, Resource, "kind", _name_hook, value.get("kind"))
    if api_version is not None and kind is not None and _unserved(api_version, kind):
        api_version = _collect(errors, Resource, "api_version", _served(kind), api_version)
    metadata = _collect(errors, Resource, "metadata", _metadata_of, value.get("metadata"))
    spec_type = fixed_spec_type
    if spec_type is None and api_version is not None and kind is not None:
        spec_type = spec_type_for(api_version, kind)
    spec = (
        freeze(value.get("spec"))
        if spec_type is None
        else _collect(errors, Resource, "spec", _hook_for(spec_type), _spec_data(value))
    )
    status = value.get("status")
    if status is not None and type(status) is not dict:  # Kubernetes status is an object
        status = _collect(errors, Resource, "status", _status_hook, status)
    extra = {key: item for key, item in value.items() if key not in ENVELOPE_KEYS}
    if spec_type is not None and extra:
        errors.append(ForbiddenExtraKeysError("", Resource, set(extra)))
    if errors:
        raise ClassValidationError("invalid resource", errors, Resource)
    return Resource(
        api_version=typing.cast("str", api_version),
        kind=typing.cast("str", kind),
        metadata=typing.cast("ObjectMeta", metadata),
        spec=spec,
        status=status,
        extra=extra,
        source=source,
    )


@functools.lru_cache(maxsize=1024)
def _unserved(api_version: str, kind: str) -> bool:
    """Whether ``api_version`` is not served for ``kind`` (a cluster repeats a few pairs)."""
    served = served_versions(api_version, kind)
    return served is not None and api_version not in served


def _served(kind: str) -> Callable[[str, object], str]:
    def served_version(api_version: str, _: object) -> str:
        served = served_versions(api_version, kind)
        if served is None or api_version in served:
            return api_version
        raise BadValueError(
            f"an API version that is served for {kind}: {', '.join(served)}",
            api_version,
            "unserved-version",
        )

    return served_version


def _status_hook(value: Any, _: object) -> Any:  # noqa: ANN401 - verbatim data
    raise BadValueError("a mapping", value)


def _name_hook(value: Any, _: object) -> str | None:  # noqa: ANN401 - hooks take raw data
    """``apiVersion`` and ``kind``: non-empty strings (None when missing, reported apart)."""
    if value is None:
        return None
    if str_hook(value, str):
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
# After the converter module's own: later registrations win in cattrs.

converter.register_structure_hook(ObjectMeta, _structure_metadata)
converter.register_unstructure_hook(ObjectMeta, _unstructure_metadata)
converter.register_structure_hook_factory(is_resource, _resource_hook_factory)
converter.register_unstructure_hook_func(is_resource, _unstructure_resource)
