"""Both answers as plain data, field by field: the library through its public API, the reference.

:func:`library_answers` builds the mesh with ``Mesh.from_resources(loads(text))`` and asks
``resolver.select_sidecar``, ``compute_scope``, ``outbound_listeners`` and
``inbound_listeners`` for every workload; :func:`reference_answers` asks
:mod:`tests.oracle.reference` the same questions from the same text. Adding a compared
field is one line in :data:`LISTENER_FIELDS` or :data:`INBOUND_FIELDS` (plus the key the
reference returns).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sidecar_model import Mesh, loads, resolver
from tests.oracle import reference

if TYPE_CHECKING:
    from sidecar_model import MeshService, Workload

#: Outbound listener fields compared: name -> how to read it from the library's result.
LISTENER_FIELDS: dict[str, Any] = {
    "address": lambda x: x.address,
    "port": lambda x: x.port,
    "protocol": lambda x: x.protocol.value,
    "binds_socket": lambda x: x.binds_socket,
    "egress_index": lambda x: x.egress_index,
    "route": lambda x: x.route,
    "route_egress_index": lambda x: x.route_egress_index,
    "hosts": lambda x: tuple(x.hosts),
    "shadowed": lambda x: tuple(x.shadowed),
    "dropped": lambda x: tuple(x.dropped),
    "fallthrough": lambda x: x.fallthrough,
}

#: Inbound listener fields compared, as above.
INBOUND_FIELDS: dict[str, Any] = {
    "port": lambda x: x.port,
    "protocol": lambda x: x.protocol.value,
    "address": lambda x: x.address,
    "binds_socket": lambda x: x.binds_socket,
    "forward_to": lambda x: x.forward_to,
    "source": lambda x: x.source,
}

#: The library's candidate reasons, by the verdict the reference names.
_VERDICTS = (
    ("not-a-sidecar-proxy", re.compile(r"never uses Sidecar resources")),
    ("own-namespace-first", re.compile(r"own namespace applies first")),
    ("selector-mismatch", re.compile(r"does not match the workload's labels")),
    ("outranked", re.compile(r"comes first")),
)


def _verdict(chosen: bool, reason: str) -> str:  # noqa: FBT001
    if chosen:
        return "chosen"
    return next((name for name, pattern in _VERDICTS if pattern.search(reason)), reason)


def _ports(service: MeshService) -> tuple[tuple[str, int, str], ...]:
    return tuple((p.name, p.number, p.protocol.value) for p in service.ports)


def _workload(w: Workload) -> dict[str, Any]:
    return {
        "labels": dict(w.labels),
        "proxy": w.proxy_type.name,
        "interception": w.interception_mode,
        "ip": w.ip,
        "family": w.ip_family.value,
    }


def library_answers(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every workload's answers from the library's public API."""
    mesh = Mesh.from_resources(loads(text))
    out = {}
    for w in mesh.workloads:
        selection = resolver.select_sidecar(mesh, w)
        scope = resolver.compute_scope(mesh, w)
        out[(w.namespace, w.name)] = {
            "workload": _workload(w),
            "selection": {
                "sidecar": None
                if selection.sidecar is None
                else f"{selection.sidecar.namespace}/{selection.sidecar.name}",
                "origin": selection.origin.name,
                "candidates": [
                    (
                        f"{c.sidecar.namespace}/{c.sidecar.name}",
                        c.chosen,
                        _verdict(c.chosen, c.reason),
                    )
                    for c in selection.candidates
                ],
            },
            "scope": {
                "egress": [
                    {
                        "services": [
                            (
                                s.hostname,
                                s.namespace,
                                _ports(s),
                                tuple(a.hostname for a in s.aliases),
                            )
                            for s in e.services
                        ],
                        "virtual_services": [(v.namespace, v.name) for v in e.virtual_services],
                    }
                    for e in scope.egress
                ],
                "union": [(s.hostname, s.namespace, _ports(s)) for s in scope.services],
            },
            "outbound": [
                {name: read(x) for name, read in LISTENER_FIELDS.items()}
                for x in resolver.outbound_listeners(scope)
            ],
            "inbound": [
                {name: read(x) for name, read in INBOUND_FIELDS.items()}
                for x in resolver.inbound_listeners(scope)
            ],
        }
    return out


def reference_answers(text: str, switches: frozenset[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every pod's answers from the reference."""
    cluster = reference.build(text, switches)
    out = {}
    for pod in cluster.pods:
        out[(pod.ns, pod.name)] = {
            "workload": {
                "labels": pod.labels,
                "proxy": pod.kind.upper(),
                "interception": pod.interception,
                "ip": pod.ip,
                "family": pod.family,
            },
            "selection": reference.selection(cluster, pod),
            "scope": reference.scope(cluster, pod),
            "outbound": [
                {name: x[name] for name in LISTENER_FIELDS}
                for x in reference.outbound(cluster, pod)
            ],
            "inbound": [
                {name: x[name] for name in INBOUND_FIELDS} for x in reference.inbound(cluster, pod)
            ],
        }
    return out


def first_difference(got: Any, want: Any, path: str = "") -> str | None:  # noqa: PLR0911
    """Where two answers first differ, as a path and both values; None when equal."""
    if isinstance(got, dict) and isinstance(want, dict):
        for key in [*want, *(k for k in got if k not in want)]:
            found = first_difference(got.get(key), want.get(key), f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(got, (list, tuple)) and isinstance(want, (list, tuple)):
        for i, (a, b) in enumerate(zip(got, want, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(got) != len(want):
            return (
                f"{path}: library has {len(got)} items, reference {len(want)}: {got!r} vs {want!r}"
            )
        return None
    if got != want:
        return f"{path}: library {got!r}, reference {want!r}"
    return None
