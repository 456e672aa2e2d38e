"""The CRD schema rules that loading cannot enforce (V41)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sidecar_model.errors import quoted

if TYPE_CHECKING:
    from sidecar_model.model import ConnectionPoolSettings, Duration, ServerTLSSettings, Sidecar
    from sidecar_model.validation._report import Report


_MAX_SELECTOR_LABELS: Final = 256
_MAX_LABEL_VALUE: Final = 63
MAX_TLS_ITEMS: Final = 2
MILLISECOND: Final = 1_000_000


def check_schema(spec: Sidecar, report: Report) -> None:
    """The CRD schema rules that loading does not enforce (V41)."""
    selector = spec.workload_selector
    if selector is not None:
        labels = selector.labels
        if len(labels) > _MAX_SELECTOR_LABELS:
            report.error(
                "V41",
                "spec.workloadSelector.labels",
                f"the workload selector has {len(labels)} labels; the CRD allows at most 256",
            )
        for key, value in labels.items():
            # A '*' in a value also breaks a CRD rule, but V6 reports it (and always runs).
            if len(value) > _MAX_LABEL_VALUE:
                report.error(
                    "V41",
                    "spec.workloadSelector.labels",
                    f"the value of selector label {quoted(key)} is {len(value)} characters long; "
                    "label values are at most 63 characters",
                )
    for index, listener in enumerate(spec.ingress):
        if listener.tls is not None:
            _check_tls_schema(listener.tls, f"spec.ingress[{index}].tls", report)


def _check_tls_schema(tls: ServerTLSSettings, path: str, report: Report) -> None:
    # The CRD's CEL rules test presence: an empty list counts as absent here, as it does in
    # the model (proto3), so `credentialNames: []` is not caught.
    names = bool(tls.credential_names)
    certificates = bool(tls.tls_certificates)
    if names and certificates:
        report.error("V41", path, "set only one of credentialNames and tlsCertificates, not both")
    if names and tls.credential_name is not None:
        report.error("V41", path, "set only one of credentialName and credentialNames, not both")
    for field, items in (
        ("credentialNames", tls.credential_names),
        ("tlsCertificates", tls.tls_certificates),
    ):
        if len(items) > MAX_TLS_ITEMS:
            report.error(
                "V41",
                f"{path}.{field}",
                f"{field} has {len(items)} items; the CRD allows one or two",
            )


def check_schema_durations(spec: Sidecar, report: Report) -> None:
    """The CRD's "at least 1ms" rule on pool durations (V41; tcp idleTimeout is exempt)."""
    pools = [("spec.inboundConnectionPool", spec.inbound_connection_pool)]
    pools.extend(
        (f"spec.ingress[{index}].connectionPool", listener.connection_pool)
        for index, listener in enumerate(spec.ingress)
    )
    for path, pool in pools:
        if pool is None:
            continue
        for field, duration in _pool_durations(pool):
            if duration.nanoseconds < MILLISECOND:
                report.error(
                    "V41",
                    f"{path}.{field}",
                    f"{field} {quoted(str(duration))} must be a valid duration of at least 1ms",
                )


def _pool_durations(pool: ConnectionPoolSettings) -> list[tuple[str, Duration]]:
    """The durations of ``pool`` that the CRD's CEL rules check, with their relative paths."""
    found: list[tuple[str, Duration | None]] = []
    http = pool.http
    if http is not None:
        found.append(("http.idleTimeout", http.idle_timeout))
        keepalive = http.http2_keep_alive
        if keepalive is not None:
            found.append(("http.http2KeepAlive.interval", keepalive.interval))
            found.append(("http.http2KeepAlive.timeout", keepalive.timeout))
    tcp = pool.tcp
    if tcp is not None:
        found.append(("tcp.connectTimeout", tcp.connect_timeout))
        found.append(("tcp.maxConnectionDuration", tcp.max_connection_duration))
        keepalive_tcp = tcp.tcp_keepalive
        if keepalive_tcp is not None:
            found.append(("tcp.tcpKeepalive.time", keepalive_tcp.time))
            found.append(("tcp.tcpKeepalive.interval", keepalive_tcp.interval))
    return [(field, duration) for field, duration in found if duration is not None]
