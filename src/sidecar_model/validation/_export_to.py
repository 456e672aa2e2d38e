"""The ``exportTo`` list rules X1-X5 that VirtualService, DestinationRule and ServiceEntry share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sidecar_model import hosts
from sidecar_model.errors import quoted
from sidecar_model.validation._report import Report

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sidecar_model.resources import Resource
    from sidecar_model.validation.diagnostics import Diagnostic


def check_export_to(
    export_to: Sequence[str],
    *,
    namespace: str,
    is_service_entry: bool,
    has_selector: bool = False,
    resource: Resource[Any] | None = None,
) -> list[Diagnostic]:
    """Errors in an ``exportTo`` list (X1-X5), for VirtualService, DestinationRule, ...

    ``namespace`` is the object's own namespace; ``is_service_entry`` allows ``~`` (alone);
    ``has_selector`` marks a DestinationRule with a workload selector. The diagnostics point
    at ``spec.exportTo`` and its items in ``resource``, when given.

    >>> [d.code for d in check_export_to([".", "*"], namespace="shop", is_service_entry=False)]
    ['X4']
    """
    report = Report(resource)
    if not export_to:
        return []
    keys: set[str] = set()
    for index, entry in enumerate(export_to):
        key = namespace if entry == "." else entry
        problem = _export_entry_problem(
            entry, key, keys, namespace=namespace, is_service_entry=is_service_entry
        )
        if problem is None:
            keys.add(key)  # Istio keeps only entries that pass
        else:
            report.error(problem[0], f"spec.exportTo[{index}]", problem[1])
    path = "spec.exportTo"
    if has_selector and keys and keys != {namespace}:  # X3
        message = (
            "a DestinationRule with a workload selector can only be exported to its own "
            "namespace: keep just '.'"
            if namespace in keys
            else "a DestinationRule with a workload selector cannot be exported beyond its "
            "own namespace: use exportTo: ['.']"
        )
        report.error("X3", path, message)
    if "*" in keys and len(export_to) > 1:  # X4
        report.error("X4", path, "'*' already exports to every namespace: remove the other entries")
    if "~" in keys and len(export_to) > 1:  # X5
        report.error("X5", path, "'~' (visible to no one) cannot be combined with other entries")
    return report.errors


def _export_entry_problem(
    entry: str, key: str, keys: set[str], *, namespace: str, is_service_entry: bool
) -> tuple[str, str] | None:
    """X1-X2 on one entry: its (code, message), or None when it is fine."""
    if key in keys:  # X1
        if entry in {".", namespace}:
            detail = (
                f"{quoted(entry)} repeats the object's own namespace {quoted(namespace)} "
                "('.' means it too)"
            )
        else:
            detail = f"{quoted(entry)} is listed twice"
        return "X1", f"duplicate entries in exportTo: {detail}; list it once"
    if entry == "~" and is_service_entry:
        return None
    if key == "~":  # X2
        return "X2", "exportTo '~' (visible to no one) is only allowed on ServiceEntries"
    if key not in {".", "*"} and not hosts.is_dns1123_label(key):  # X2
        return "X2", (
            f"exportTo entry {quoted(entry)} is invalid: use '.', '*', or a namespace name "
            "(a DNS-1123 label)"
        )
    return None
