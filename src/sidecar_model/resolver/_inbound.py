"""The inbound listeners of a workload (§6)."""

from __future__ import annotations

from typing import Any, Final

import attrs

from sidecar_model._results import Result
from sidecar_model.mesh._values import WILDCARD_ADDRESS
from sidecar_model.model import (
    CaptureMode,
    Protocol,
)
from sidecar_model.resolver._port_plan import (
    PRIVILEGED_PORTS,
    RESERVED_PORTS,
    proxy_listener_ports,
)
from sidecar_model.resolver._scope import InboundPool, SidecarScope, _workload_service_ports

LOOPBACK: Final = "127.0.0.1"
# =========================================================================== inbound (§6)


@attrs.frozen(kw_only=True)
class InboundListener(Result):
    """One inbound port of the workload (§6): where it listens and where traffic goes."""

    port: int
    protocol: Protocol
    address: str
    binds_socket: bool
    forward_to: str
    source: str
    connection_pool: InboundPool | None = None

    def __str__(self) -> str:
        """``port 8080 (HTTP) on 0.0.0.0 → original destination, from ingress[0]``."""
        how = "own listener" if self.binds_socket else "virtual inbound listener chain"
        return (
            f"port {self.port} ({self.protocol.value}) on {self.address} ({how}) "
            f"-> {self.forward_to}, from {self.source}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "port": self.port,
            "protocol": self.protocol.value,
            "address": self.address,
            "bindsSocket": self.binds_socket,
            "forwardTo": self.forward_to,
            "source": self.source,
            "connectionPool": None
            if self.connection_pool is None
            else self.connection_pool.to_dict(),
        }


def _forward_target(default_endpoint: str | None) -> str:
    # 6.5
    if not default_endpoint or default_endpoint.startswith(":"):
        return "original destination"
    if default_endpoint.startswith("unix://"):
        return default_endpoint
    host, _, port = default_endpoint.rpartition(":")
    targets = {
        "127.0.0.1": LOOPBACK,
        "[::1]": "::1",
        WILDCARD_ADDRESS: "pod IP",
        "[::]": "pod IPv6 address",
    }
    return f"{targets.get(host, host)}:{port}"


def inbound_listeners(scope: SidecarScope) -> tuple[InboundListener, ...]:
    """The inbound listeners of the workload (§6.1 to §6.5)."""
    capture_none = scope.workload.interception_mode == "NONE"
    seen: set[int] = set()
    result = _ingress_listeners(scope, seen)
    if scope.ingress and not scope.mesh.config.allow_sidecar_service_inbound_listener_merge:
        return tuple(result)
    if capture_none and not scope.ingress:
        return ()  # 6.2
    result.extend(_service_target_listeners(scope, seen))
    return tuple(result)


def _ingress_listeners(scope: SidecarScope, seen: set[int]) -> list[InboundListener]:
    """6.3, 6.4: one listener per Sidecar ingress entry that can bind; ``seen`` gets its ports."""
    workload = scope.workload
    capture_none = workload.interception_mode == "NONE"
    result: list[InboundListener] = []
    for index, listener in enumerate(scope.ingress):
        port = listener.port.number or 0
        if port in seen:
            continue  # a duplicate port: the first entry wins
        seen.add(port)
        mode = listener.capture_mode or CaptureMode.DEFAULT
        binds = mode is CaptureMode.NONE or (mode is CaptureMode.DEFAULT and capture_none)
        protocol = listener.port.parsed_protocol
        if binds and port in PRIVILEGED_PORTS and workload.unprivileged:
            continue
        if port in RESERVED_PORTS and (
            listener.bind == WILDCARD_ADDRESS or (not listener.bind and protocol.is_http)
        ):
            continue
        if not binds and capture_none:
            continue  # 8.37: no virtual inbound listener exists
        result.append(
            InboundListener(
                port=port,
                protocol=protocol,
                address=listener.bind or workload.ip or WILDCARD_ADDRESS,
                binds_socket=binds,
                forward_to=_forward_target(listener.default_endpoint),
                source=f"ingress[{index}]",
                connection_pool=scope.inbound_connection_pool(port),
            )
        )
    return result


def _service_target_listeners(scope: SidecarScope, seen: set[int]) -> list[InboundListener]:
    """6.2: one chain per target port of the workload's services not yet ``seen``, oldest first."""
    mesh = scope.mesh
    workload = scope.workload
    policy = mesh.config.inbound_traffic_policy
    localhost = policy is not None and policy.mode == "LOCALHOST"
    proxy_ports = proxy_listener_ports(mesh.config)
    result: list[InboundListener] = []
    for service, service_port, target in _workload_service_ports(mesh, workload):
        if target in proxy_ports:
            continue  # 6.2a: before the oldest service takes the port
        if target in seen:
            continue
        seen.add(target)
        result.append(
            InboundListener(
                port=target,
                protocol=service_port.protocol,
                address=workload.ip or WILDCARD_ADDRESS,
                binds_socket=False,
                forward_to=f"{LOOPBACK}:{target}" if localhost else "original destination",
                source=f"service {service.hostname}:{service_port.number}",
                connection_pool=scope.inbound_connection_pool(target),
            )
        )
    return result
