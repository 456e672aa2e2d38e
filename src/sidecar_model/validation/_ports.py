"""Port and bind checks that ingress (V12, V13) and egress (V21) listeners share."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sidecar_model import hosts
from sidecar_model.errors import quoted
from sidecar_model.model import Protocol

if TYPE_CHECKING:
    from sidecar_model.model import Port
    from sidecar_model.validation._report import Report


_PROTOCOL_NAMES: Final = (
    "TCP, UDP, HTTP, HTTP2, HTTPS, GRPC, GRPC-Web, HTTP_PROXY, TLS, Mongo, Redis or MySQL"
)
MAX_PORT: Final = 65535
UNIX_PREFIX: Final = "unix://"


def check_port_name(port: Port, path: str, code: str, report: Report) -> None:
    name = port.name
    if name and not hosts.is_dns1123_label(name):
        report.error(
            code,
            f"{path}.name",
            f"invalid port name {quoted(name)}: a port name is a DNS-1123 label (letters, digits "
            "and '-', starting and ending with a letter or digit, at most 63 characters)",
        )


def check_protocol(port: Port, path: str, code: str, report: Report) -> None:
    text = port.protocol
    if text and Protocol.parse(text) is Protocol.UNSUPPORTED:
        report.error(
            code,
            f"{path}.protocol",
            f"unsupported protocol {quoted(text)}: use {_PROTOCOL_NAMES} (in any case), or leave "
            "it empty to have the protocol detected",
        )


def check_port_number(port: Port, path: str, code: str, report: Report, hint: str) -> None:
    number = port.number or 0
    if not 1 <= number <= MAX_PORT:
        where = f"{path}.number" if port.number is not None else path
        report.error(code, where, f"port number {number} must be in the range 1..65535{hint}")


def check_ip_bind(bind: str | None, path: str, code: str, report: Report, hint: str) -> None:
    if bind and not hosts.is_ip_address(bind):
        report.error(
            code,
            f"{path}.bind",
            f"bind {quoted(bind)} is not a valid IP address: write an IPv4 or IPv6 address such as "
            f"0.0.0.0, 127.0.0.1 or ::1{hint}",
        )


def check_target_port(port: Port, path: str, code: str, report: Report) -> None:
    if port.target_port:
        report.error(
            code,
            f"{path}.targetPort",
            f"targetPort {port.target_port} has no effect on Sidecars; remove it",
        )
