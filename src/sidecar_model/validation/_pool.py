"""Connection pool settings (V34-V37)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecar_model.errors import quoted
from sidecar_model.model import H2UpgradePolicy
from sidecar_model.validation._schema import MILLISECOND

if TYPE_CHECKING:
    from sidecar_model.model import ConnectionPoolSettings, Duration, HTTPSettings, TCPSettings
    from sidecar_model.validation._report import Report


def _check_duration(duration: Duration, path: str, field: str, report: Report) -> None:
    """V37: at least 1ms, in whole milliseconds."""
    nanoseconds = duration.nanoseconds
    if nanoseconds < MILLISECOND:
        report.error(
            "V37",
            path,
            f"{field} {quoted(str(duration))} is too short: durations must be at least 1ms",
        )
    elif nanoseconds % MILLISECOND:
        report.error(
            "V37",
            path,
            f"{field} {quoted(str(duration))} is more precise than a millisecond: write a whole "
            f"number of milliseconds, such as '{max(1, round(nanoseconds / MILLISECOND))}ms'",
        )


def check_pool(pool: ConnectionPoolSettings, path: str, report: Report) -> None:
    """validateConnectionPool: V34, then V35 and V36 (with V37 on their durations)."""
    if pool.http is None and pool.tcp is None:  # V34
        report.error(
            "V34", path, "a connection pool needs tcp or http settings; remove it if empty"
        )
        return
    if pool.http is not None:
        _check_http_pool(pool.http, f"{path}.http", report)
    if pool.tcp is not None:
        _check_tcp_pool(pool.tcp, f"{path}.tcp", report)


def _check_http_pool(http: HTTPSettings, path: str, report: Report) -> None:
    """V35 (and V37 on its durations)."""
    for wire, limit in (
        ("http1MaxPendingRequests", http.http1_max_pending_requests),
        ("http2MaxRequests", http.http2_max_requests),
        ("maxRequestsPerConnection", http.max_requests_per_connection),
        ("maxRetries", http.max_retries),
    ):
        _check_non_negative(limit, path, wire, "V35", report)
    if http.idle_timeout is not None:
        _check_duration(http.idle_timeout, f"{path}.idleTimeout", "idleTimeout", report)
    if http.h2_upgrade_policy is H2UpgradePolicy.UPGRADE and http.use_client_protocol:
        report.error(
            "V35",
            f"{path}.useClientProtocol",
            "useClientProtocol must not be true when h2UpgradePolicy is UPGRADE; "
            "keep only one of them",
        )
    _check_non_negative(http.max_concurrent_streams, path, "maxConcurrentStreams", "V35", report)
    keepalive = http.http2_keep_alive
    if keepalive is None:
        return
    for wire, article, duration in (
        ("interval", "an", keepalive.interval),
        ("timeout", "a", keepalive.timeout),
    ):
        if duration is None:
            report.error("V35", f"{path}.http2KeepAlive", f"http2KeepAlive needs {article} {wire}")
        else:
            _check_duration(duration, f"{path}.http2KeepAlive.{wire}", wire, report)


def _check_tcp_pool(tcp: TCPSettings, path: str, report: Report) -> None:
    """V36 (and V37 on its durations)."""
    _check_non_negative(tcp.max_connections, path, "maxConnections", "V36", report)
    durations = [
        ("connectTimeout", tcp.connect_timeout),
        ("maxConnectionDuration", tcp.max_connection_duration),
    ]
    idle = tcp.idle_timeout
    # An idleTimeout that truncates to 0ms (0s, or anything within 1ms of it) means "disabled".
    if idle is not None and abs(idle.nanoseconds) >= MILLISECOND:
        durations.append(("idleTimeout", idle))
    if tcp.tcp_keepalive is not None:
        durations.append(("tcpKeepalive.time", tcp.tcp_keepalive.time))
        durations.append(("tcpKeepalive.interval", tcp.tcp_keepalive.interval))
    for wire, duration in durations:
        if duration is not None:
            _check_duration(duration, f"{path}.{wire}", wire.rpartition(".")[2], report)


def _check_non_negative(
    value: int | None, path: str, field: str, code: str, report: Report
) -> None:
    if value is not None and value < 0:
        report.error(code, f"{path}.{field}", f"{field} {value} must not be negative")
