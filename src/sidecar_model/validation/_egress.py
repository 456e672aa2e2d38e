"""Egress listeners (V20-V24)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sidecar_model import hosts
from sidecar_model.errors import quoted
from sidecar_model.model import CaptureMode
from sidecar_model.validation._ports import (
    UNIX_PREFIX,
    check_ip_bind,
    check_port_name,
    check_port_number,
    check_protocol,
    check_target_port,
)

if TYPE_CHECKING:
    from sidecar_model.model import IstioEgressListener, Port
    from sidecar_model.validation._report import Report


_UDS_CAPTURE_MODES: Final = frozenset({CaptureMode.DEFAULT, CaptureMode.NONE})


def check_egress_listeners(
    listeners: tuple[IstioEgressListener, ...], namespace: str, report: Report
) -> None:
    seen = _EgressSeen()
    last = len(listeners) - 1
    for index, listener in enumerate(listeners):
        path = f"spec.egress[{index}]"
        if listener.port is None:
            # V20: Istio records the catch-all only at the last index, so its "at most one"
            # branch can never run: each earlier catch-all gets this error instead.
            if index != last:
                report.error(
                    "V20",
                    path,
                    "an egress listener without a port catches all remaining ports, so it "
                    "must be the last listener; move it to the end",
                )
        else:
            _check_egress_port(listener, listener.port, path, seen, report)
        _check_hosts(listener.hosts, f"{path}.hosts", namespace, report)


class _EgressSeen:
    """The port numbers and socket binds of the egress listeners checked so far (V21)."""

    __slots__ = ("ports", "sockets")

    def __init__(self) -> None:
        self.ports: set[int] = set()
        self.sockets: set[str] = set()


def _check_egress_port(
    listener: IstioEgressListener, port: Port, path: str, seen: _EgressSeen, report: Report
) -> None:
    """V21: the port, bind and capture mode of an egress listener with a port."""
    port_path = f"{path}.port"
    bind = listener.bind or ""
    check_target_port(port, port_path, "V21", report)
    check_port_name(port, port_path, "V21", report)
    check_protocol(port, port_path, "V21", report)
    if not port.number:  # a Unix domain socket listener
        if not bind.startswith(UNIX_PREFIX):
            report.error(
                "V21",
                f"{path}.bind" if listener.bind else path,
                f"port number 0 makes a Unix domain socket listener, which needs a bind such "
                f"as unix:///var/run/app.sock, not {quoted(bind)}; or give the port a number",
            )
        else:
            for message in hosts.check_unix_address(bind[len(UNIX_PREFIX) :]):
                report.error("V21", f"{path}.bind", f"bind {quoted(bind)}: {message}")
        mode = listener.capture_mode or CaptureMode.DEFAULT
        if mode not in _UDS_CAPTURE_MODES:
            report.error(
                "V21",
                f"{path}.captureMode",
                f"captureMode {mode.value} is not allowed on a Unix domain socket listener; "
                "use DEFAULT or NONE",
            )
        if bind in seen.sockets:
            report.error(
                "V21",
                f"{path}.bind" if listener.bind else path,
                f"Unix domain socket {quoted(bind)} is already used by an earlier egress listener; "
                "each socket listener needs its own bind",
            )
        seen.sockets.add(bind)
        return
    check_port_number(port, port_path, "V21", report, "")
    check_ip_bind(listener.bind, path, "V21", report, "; a unix:// bind needs port number 0")
    if port.number in seen.ports:
        report.error(
            "V21",
            f"{port_path}.number",
            f"port {port.number} is already used by an earlier egress listener; ports of "
            "egress listeners must be unique, whatever their bind",
        )
    seen.ports.add(port.number)


def _check_hosts(hosts_: tuple[str, ...], path: str, namespace: str, report: Report) -> None:
    """V22-V24 on one listener's hosts."""
    if not hosts_:  # V22
        report.error(
            "V22",
            path,
            "an egress listener needs at least one host, such as './*' or 'istio-system/*'",
        )
        return
    seen: dict[str, set[str]] = {}
    for index, text in enumerate(hosts_):
        host_path = f"{path}[{index}]"
        namespace_part, slash, dns_name = text.partition("/")
        if slash and not namespace_part.startswith("~"):  # V24
            key = namespace if namespace_part == "." else namespace_part
            names = seen.setdefault(key, set())
            if (dns_name != "*" and (dns_name in names or "*" in names)) or (
                dns_name == "*" and names
            ):
                report.warning(
                    "V24",
                    host_path,
                    f"duplicated egress host: {quoted(text)} is already selected by an earlier "
                    "host of this listener; remove it",
                )
            names.add(dns_name)
        for problem in hosts.check_egress_host(text):  # V23
            report.error("V23", host_path, problem.message, problem.caret(text))
    if "*" in seen.get("*", ()) and len(seen) != 1:  # V24
        report.warning(
            "V24",
            path,
            "'*/*' already selects every host, so the other hosts of this listener add nothing",
        )
