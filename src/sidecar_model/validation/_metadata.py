"""Annotations that reject the object (V1-V4) and the workload selector (V5-V8)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sidecar_model.errors import quoted
from sidecar_model.validation._report import Stop

if TYPE_CHECKING:
    from sidecar_model.model import Sidecar
    from sidecar_model.resources import Resource
    from sidecar_model.validation._report import Report


_METADATA_ANNOTATIONS: Final = (
    ("V2", "internal.istio.io/webhook-always-reject", "makes Istio reject every object"),
    ("V3", "internal.istio.io/parent-namespace", "is reserved for Istio and may not be set"),
    ("V4", "internal.istio.io/parents", "is reserved for Istio and may not be set"),
)


def check_metadata(resource: Resource[Any], namespace: str, report: Report) -> None:
    """V1-V4: annotations that reject the object outright; the first one found is reported."""
    annotations = resource.metadata.annotations
    if not annotations:
        return
    if "istio.io/dry-run" in annotations:  # V1
        report.error(
            "V1",
            "metadata.annotations",
            f"{namespace}/{resource.name or ''} has the istio.io/dry-run annotation, which only "
            "AuthorizationPolicy supports; remove the annotation",
        )
        raise Stop
    for code, name, reason in _METADATA_ANNOTATIONS:  # V2-V4
        if name in annotations:
            report.error(code, "metadata.annotations", f"the annotation {name} {reason}; remove it")
            raise Stop


def check_selector(spec: Sidecar, report: Report) -> None:
    selector = spec.workload_selector
    if selector is None:
        return
    found = False
    # Istio walks a Go map, in random order; sorting keeps our output stable.
    for key, value in sorted(selector.labels.items()):
        if key == "":  # V5
            report.error(
                "V5",
                "spec.workloadSelector.labels",
                f"a selector label has an empty key (and the value {quoted(value)}); give every "
                "label a name",
            )
            found = True
        if "*" in key or "*" in value:  # V6
            report.error(
                "V6",
                "spec.workloadSelector.labels",
                f"selector label {key}={value} contains '*'; selectors match exact label "
                "values, so list the labels to match without wildcards",
            )
            found = True
    if found:  # V7: no other finding, not even a warning
        raise Stop
    if not selector.labels:  # V8
        report.warning(
            "V8",
            "spec.workloadSelector",
            "workload selector specified without labels: the Sidecar applies to every "
            "workload in the namespace; add labels, or remove workloadSelector",
        )
