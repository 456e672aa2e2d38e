"""Ingress listeners (V12-V15, V17); their TLS and pools have files of their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sidecar_model import hosts
from sidecar_model.errors import quoted
from sidecar_model.hosts import _is_go_int
from sidecar_model.validation._pool import check_pool
from sidecar_model.validation._ports import (
    MAX_PORT,
    UNIX_PREFIX,
    check_ip_bind,
    check_port_name,
    check_port_number,
    check_protocol,
    check_target_port,
)
from sidecar_model.validation._tls import check_ingress_tls

if TYPE_CHECKING:
    from sidecar_model.model import IstioIngressListener
    from sidecar_model.validation._report import Report


def check_ingress(
    listener: IstioIngressListener, path: str, ports: set[int], report: Report
) -> None:
    port = listener.port
    port_path = f"{path}.port"
    check_target_port(port, port_path, "V12", report)
    check_port_name(port, port_path, "V13", report)
    check_protocol(port, port_path, "V13", report)
    check_port_number(port, port_path, "V13", report, "; ingress listeners need a real port")
    check_ip_bind(listener.bind, path, "V13", report, "; Unix sockets are not allowed here")
    number = port.number or 0
    if number in ports:  # V14
        report.error(
            "V14",
            f"{port_path}.number" if port.number is not None else port_path,
            f"port {number} is already used by an earlier ingress listener; ports of "
            "ingress listeners must be unique",
        )
    ports.add(number)
    if listener.default_endpoint:
        _check_default_endpoint(listener.default_endpoint, f"{path}.defaultEndpoint", report)
    if listener.tls is not None:
        check_ingress_tls(listener.tls, port, f"{path}.tls", report)
    pool = listener.connection_pool
    if pool is not None:
        check_pool(pool, f"{path}.connectionPool", report)
        if pool.http is not None and not port.parsed_protocol.is_http:  # V17
            report.warning(
                "V17",
                f"{path}.connectionPool.http",
                f"HTTP connection pool settings are configured for port {number} "
                f"({quoted(port.name or '')}) but its protocol is not HTTP "
                f"({quoted(port.protocol or '')}); "
                "only the tcp settings will apply",
            )


_ENDPOINT_HOSTS: Final = frozenset({"", "127.0.0.1", "0.0.0.0", "::1", "::"})  # noqa: S104


def _split_host_port(text: str) -> tuple[str, str] | str:  # noqa: PLR0911 - as Go's, case by case
    """Go's ``net.SplitHostPort``: ``(host, port)``, or why the text does not split."""
    colon = text.rfind(":")
    if colon < 0:
        return "it has no port"
    if text[:1] == "[":
        end = text.find("]")
        if end < 0:
            return "it has a '[' without ']'"
        if end + 1 == len(text):
            return "it has no port"
        if end + 1 != colon:
            return "it has too many colons" if text[end + 1] == ":" else "it has no port"
        host, start = text[1:end], end + 1
        if "[" in text[1:] or "]" in text[start:]:
            return "it has a misplaced '[' or ']'"
    else:
        host = text[:colon]
        if ":" in host:
            return "it has too many colons (write an IPv6 address in brackets, as [::1]:8080)"
        if "[" in text or "]" in text:
            return "it has a misplaced '[' or ']'"
    return host, text[colon + 1 :]


def _check_default_endpoint(endpoint: str, path: str, report: Report) -> None:
    """V15: loopback or unspecified address with a port, or a unix:// socket path."""
    if endpoint.startswith(UNIX_PREFIX):
        for message in hosts.check_unix_address(endpoint[len(UNIX_PREFIX) :]):
            report.error("V15", path, f"defaultEndpoint {quoted(endpoint)}: {message}")
        return
    split = _split_host_port(endpoint)
    if isinstance(split, str):
        # Istio then also complains that the (empty) port is not a number; once is enough.
        report.error(
            "V15",
            path,
            f"defaultEndpoint {quoted(endpoint)} is not host:port: {split}; write 127.0.0.1:PORT, "
            "0.0.0.0:PORT, [::1]:PORT, [::]:PORT or unix:///path",
        )
        return
    host, port_text = split
    if host not in _ENDPOINT_HOSTS:
        report.error(
            "V15",
            path,
            f"defaultEndpoint {quoted(endpoint)} names host {quoted(host)}: the host must be "
            "127.0.0.1, "
            "0.0.0.0, [::1] or [::] (or be left out, as in :8080); or use unix:///path",
        )
    if not _is_go_int(port_text):  # Go strconv.Atoi, as Istio parses the port
        report.error(
            "V15", path, f"defaultEndpoint port {quoted(port_text)} is not a number: write 1..65535"
        )
    elif not 1 <= int(port_text) <= MAX_PORT:
        report.error(
            "V15", path, f"defaultEndpoint port {int(port_text)} must be in the range 1..65535"
        )
