"""The result values of outbound listeners and routes (§5.11, §5.12)."""

from __future__ import annotations

from typing import Any, Final

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
    dropped: tuple[str, ...] = ()
    fallthrough: str | None = None

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
        if self.dropped:
            text += f"; dropped (chain collides with an earlier one): {', '.join(self.dropped)}"
        if self.fallthrough:
            text += f"; unmatched traffic: {self.fallthrough}"
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
            "dropped": list(self.dropped),
            "fallthrough": self.fallthrough,
        }


@attrs.frozen(kw_only=True)
class OutboundRoute(Result):
    """One HTTP route configuration (RDS) of the outbound listeners (§5.12).

    ``name`` is ``"P"`` for port P, or the bind of a unix-socket listener; ``egress_index``
    the egress listener whose services and VirtualServices make its virtual hosts (R1: the
    first with port P, else the catch-all); ``hosts`` the virtual host names: its services
    with an HTTP or sniffed port P (every port for HTTP_PROXY and unix sockets), each with
    its kept ExternalName aliases, and the hosts of its VirtualServices that name no such
    service (R2..R4). ``catch_all`` names the virtual host for ``*`` that takes requests for
    any other host (T8: ``allow_any``, ``block_all`` or ``allow_any_dynamic_dns``) and
    ``catch_all_target`` what it does with them.
    """

    name: str
    port: int
    egress_index: int | None
    hosts: tuple[str, ...]
    catch_all: str | None = None
    catch_all_target: str | None = None

    def __str__(self) -> str:
        """``route "9080" (egress[0]): reviews...; other hosts: allow_any (PassthroughCluster)``."""
        owner = (
            "no egress listener" if self.egress_index is None else f"egress[{self.egress_index}]"
        )
        text = f'route "{self.name}" ({owner}): {", ".join(self.hosts) or "no virtual hosts"}'
        if self.catch_all:
            text += f"; other hosts: {self.catch_all} ({self.catch_all_target})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "port": self.port,
            "egressIndex": self.egress_index,
            "hosts": list(self.hosts),
            "catchAll": self.catch_all,
            "catchAllTarget": self.catch_all_target,
        }


#: T5: the clusters unmatched traffic goes to.
PASSTHROUGH: Final = "PassthroughCluster"
BLACKHOLE: Final = "BlackHoleCluster"
DYNAMIC_DNS: Final = "AllowAnyDynamicDNSCluster"


@attrs.frozen(kw_only=True)
class UnmatchedTraffic(Result):
    """What happens to outbound traffic on ports no outbound listener claims (T5, T6, T9).

    ``captured`` says whether iptables sends the proxy's outbound traffic to Envoy at all
    (interception mode not NONE). When it does, ``listener`` is the virtual outbound
    listener (``0.0.0.0:15001``) that hands each connection to the listener of its original
    destination and handles the rest itself: plain-text HTTP to ``http_target`` when set
    (mesh mode ALLOW_ANY_DYNAMIC_DNS), everything else to ``target`` (the passthrough
    cluster or egress proxy under ALLOW_ANY, the blackhole under REGISTRY_ONLY). When it
    does not, only traffic sent to the listeners' own sockets reaches Envoy.
    """

    mode: str
    captured: bool
    listener: str | None
    target: str
    http_target: str | None = None

    def __str__(self) -> str:
        """``unmatched outbound traffic (ALLOW_ANY): 0.0.0.0:15001 sends it to ...``."""
        if not self.captured:
            return (
                f"unmatched outbound traffic ({self.mode}): not captured (interception NONE), "
                "so traffic not sent to a listener's socket bypasses the proxy"
            )
        http = f"plain-text HTTP to {self.http_target}, other " if self.http_target else ""
        return (
            f"unmatched outbound traffic ({self.mode}): the virtual listener {self.listener} "
            f"sends {http}traffic on ports no listener claims to {self.target}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "mode": self.mode,
            "captured": self.captured,
            "listener": self.listener,
            "target": self.target,
            "httpTarget": self.http_target,
        }
