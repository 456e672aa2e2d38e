"""The result values of outbound listeners and routes (§5.11, §5.12)."""

from __future__ import annotations

from typing import Any

import attrs

from sidecar_model._results import Result
from sidecar_model.model import (
    Protocol,
)


@attrs.frozen(kw_only=True)
class OutboundListener(Result):
    """One outbound listener (address, port) as a user reasons about it (L1..L7, MSP1..MSP6).

    ``protocol`` is the recorded protocol, UNSUPPORTED meaning protocol sniffing (a wildcard
    HTTP listener is recorded so, L4). ``hosts`` are the hosts it carries after locking and
    route ownership; ``shadowed`` the hosts that asked for this (address, port) but lost it.
    """

    address: str
    port: int
    protocol: Protocol
    binds_socket: bool
    egress_index: int
    route: str | None
    hosts: tuple[str, ...]
    shadowed: tuple[str, ...] = ()
    #: The egress listener whose services make the route's virtual hosts (R1, MSP1).
    route_egress_index: int | None = None

    def __str__(self) -> str:
        """``0.0.0.0:9080 (auto-detect, from egress[0], route "9080"): reviews...``."""
        proto = "auto-detect" if self.protocol is Protocol.UNSUPPORTED else self.protocol.value
        socket = ", binds a socket" if self.binds_socket else ""
        route = f', route "{self.route}"' if self.route else ""
        owner = self.route_egress_index
        if owner is not None and owner != self.egress_index:
            route += f" of egress[{owner}]"
        text = (
            f"{self.address}:{self.port} ({proto}, from egress[{self.egress_index}]{route}"
            f"{socket}): {', '.join(self.hosts) or 'no hosts'}"
        )
        if self.shadowed:
            text += f"; shadowed: {', '.join(self.shadowed)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "address": self.address,
            "port": self.port,
            "protocol": self.protocol.value,
            "bindsSocket": self.binds_socket,
            "egressIndex": self.egress_index,
            "route": self.route,
            "routeEgressIndex": self.route_egress_index,
            "hosts": list(self.hosts),
            "shadowed": list(self.shadowed),
        }


@attrs.frozen(kw_only=True)
class OutboundRoute(Result):
    """One HTTP route configuration (RDS) of the outbound listeners (§5.12).

    ``name`` is ``"P"`` for port P, or the bind of a unix-socket listener; ``egress_index``
    the egress listener whose services and VirtualServices make its virtual hosts (R1: the
    first with port P, else the catch-all); ``hosts`` the virtual host names: its services
    with an HTTP or sniffed port P (every port for HTTP_PROXY and unix sockets), each with
    its kept ExternalName aliases, and on port 80 every host of its VirtualServices (R2..R4).
    """

    name: str
    port: int
    egress_index: int | None
    hosts: tuple[str, ...]

    def __str__(self) -> str:
        """``route "9080" (egress[0]): reviews.prod.svc.cluster.local``."""
        owner = (
            "no egress listener" if self.egress_index is None else f"egress[{self.egress_index}]"
        )
        return f'route "{self.name}" ({owner}): {", ".join(self.hosts) or "no virtual hosts"}'

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "port": self.port,
            "egressIndex": self.egress_index,
            "hosts": list(self.hosts),
        }
