"""The entry point: every Sidecar rule, V1 to V41, in Istio's order."""

from __future__ import annotations

from typing import Any

from sidecar_model.model import Sidecar
from sidecar_model.resources import Resource
from sidecar_model.validation._egress import check_egress_listeners
from sidecar_model.validation._ingress import check_ingress
from sidecar_model.validation._metadata import check_metadata, check_selector
from sidecar_model.validation._outbound import check_outbound_policy
from sidecar_model.validation._pool import check_pool
from sidecar_model.validation._report import Report, Stop
from sidecar_model.validation._schema import check_schema, check_schema_durations
from sidecar_model.validation.diagnostics import ValidationResult


def validate(obj: Resource[Sidecar] | Sidecar, *, namespace: str | None = None) -> ValidationResult:
    """Check ``obj`` as Istio's admission webhook and the CRD schema would.

    ``obj`` is a loaded ``Resource`` whose spec is a :class:`~sidecar_model.Sidecar`, or a
    bare ``Sidecar``. ``namespace`` stands in for ``metadata.namespace`` when the object has
    none; it is what ``.`` means in egress hosts (V24). Raises :class:`TypeError` for any
    other kind of object.
    """
    if isinstance(obj, Resource):
        resource: Resource[Any] | None = obj
        spec = obj.spec
        own_namespace = obj.namespace or namespace or ""
    else:
        resource = None
        spec = obj
        own_namespace = namespace or ""
    if not isinstance(spec, Sidecar):
        msg = f"validate() checks Sidecars, not {type(spec).__name__} ({type(obj).__name__})"
        raise TypeError(msg)
    schema = Report(resource)
    check_schema(spec, schema)
    webhook = Report(resource)
    try:
        if resource is not None:
            check_metadata(resource, own_namespace, webhook)
        _check_sidecar(spec, own_namespace, webhook)
    except Stop:
        # The webhook never looked at the pools, so the schema's duration rule speaks (V41).
        check_schema_durations(spec, schema)
    return ValidationResult(
        errors=(*schema.errors, *webhook.errors), warnings=tuple(webhook.warnings)
    )


def _check_sidecar(spec: Sidecar, namespace: str, report: Report) -> None:
    check_selector(spec, report)
    if (
        not spec.egress
        and not spec.ingress
        and spec.outbound_traffic_policy is None
        and spec.inbound_connection_pool is None
    ):  # V9: only this error is reported, the V8 warning included
        report.warnings.clear()
        report.error(
            "V9",
            "spec",
            "the Sidecar configures nothing: set at least one of ingress, egress, "
            "outboundTrafficPolicy or inboundConnectionPool",
        )
        raise Stop
    ports: set[int] = set()
    for index, listener in enumerate(spec.ingress):
        check_ingress(listener, f"spec.ingress[{index}]", ports, report)
    if spec.inbound_connection_pool is not None:  # V18
        check_pool(spec.inbound_connection_pool, "spec.inboundConnectionPool", report)
    check_egress_listeners(spec.egress, namespace, report)
    if spec.outbound_traffic_policy is not None:
        check_outbound_policy(spec.outbound_traffic_policy, report)
