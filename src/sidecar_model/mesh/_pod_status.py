"""The parts of a Pod's ``status`` the mesh reads (its addresses), checked before use.

The mesh keeps ``status`` verbatim and reads ``podIP`` and ``podIPs`` from it. The API server
only ever writes an object there, with a string ``podIP`` and a list of ``{ip: ...}``
entries, so any other shape was written by hand and is refused with its location rather
than read as "no address": a silently dropped address would change the proxy's IP family
and the endpoints of headless services without a word.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sidecar_model._collections import EMPTY
from sidecar_model.errors import ManifestError, Problem

if TYPE_CHECKING:
    from sidecar_model.resources import Resource


def pod_status(resource: Resource[Any]) -> Mapping[str, Any]:
    """``resource.status`` (empty when absent), refused unless its address fields are well formed.

    Raises :class:`~sidecar_model.ManifestError` naming the resource and the YAML path.
    """
    status = resource.status
    if status is None:
        return EMPTY
    if not isinstance(status, Mapping):
        raise _refused(resource, "status", "an object", status)
    ip = status.get("podIP")
    if ip is not None and not isinstance(ip, str):
        raise _refused(resource, "status.podIP", "a string", ip)
    entries = status.get("podIPs")
    if entries is not None and not isinstance(entries, (list, tuple)):
        raise _refused(resource, "status.podIPs", "a list", entries)
    for index, entry in enumerate(entries or ()):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("ip", ""), str):
            raise _refused(resource, f"status.podIPs[{index}]", "an object {ip: <address>}", entry)
    return status


def _refused(resource: Resource[Any], path: str, expected: str, value: object) -> ManifestError:
    where = resource.locate(path)
    source = resource.source
    document = getattr(source, "document", None)
    name = f"{resource.namespace or 'default'}/{resource.name or '<unnamed>'}"
    problem = Problem(
        message=f"{resource.kind} {name}: expected {expected}, got {_yaml_kind(value)}",
        code="bad-pod-status",
        path=path,
        document=document if isinstance(document, int) else None,
        line=None if where is None else where[0],
        column=None if where is None else where[1],
        source=None if source is None else source.name,
    )
    return ManifestError([problem])


def _yaml_kind(value: object) -> str:
    # The value's kind in the manifest's own vocabulary (a frozen list is a tuple here).
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else "null"
