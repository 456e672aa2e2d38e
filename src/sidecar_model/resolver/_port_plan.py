"""What each service port asks of an outbound listener (L2 to L6), planned once per mesh."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Final

from sidecar_model.hosts import is_ip_address
from sidecar_model.mesh import Mesh, MeshService, Registry
from sidecar_model.mesh._values import ALIAS_RESOLUTION, WILDCARD_ADDRESS
from sidecar_model.model import (
    Protocol,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sidecar_model.mesh import MeshConfig
from sidecar_model.resolver._cache import cache_of
from sidecar_model.resolver._listener_values import OutboundListener

#: Envoy status and Prometheus ports, which no wildcard listener may take (L3, §6.4).
RESERVED_PORTS: Final = frozenset({15021, 15090})
DEFAULT_PROXY_LISTEN_PORT: Final = 15001
DEFAULT_PROXY_INBOUND_LISTEN_PORT: Final = 15006
PRIVILEGED_PORTS: Final = range(1, 1024)
_MONGO_MYSQL: Final = (Protocol.MONGO, Protocol.MYSQL)  # a tuple: enum hashing is slow


def proxy_listener_ports(config: MeshConfig) -> frozenset[int]:
    """The ports of the proxy's own listeners, which no service target port may take (L3, §6.2a).

    The Envoy status and Prometheus ports, and the mesh's outbound and inbound capture
    ports (``proxyListenPort``, ``proxyInboundListenPort``). istiod checks service target
    ports against all of them on the wildcard address, whatever the port's protocol.
    """
    return RESERVED_PORTS | {
        config.proxy_listen_port or DEFAULT_PROXY_LISTEN_PORT,
        config.proxy_inbound_listen_port or DEFAULT_PROXY_INBOUND_LISTEN_PORT,
    }


def _protocol_category(protocol: Protocol) -> str:
    if protocol.is_http:
        return "http"
    if protocol is Protocol.UNSUPPORTED:
        return "auto"
    return "tcp"


#: The L6 category of every protocol, "http", "auto" (sniffed) or "tcp", by member name:
#: hashing an enum member runs Python code, reading and hashing its name does not.
_CATEGORY: Final = {p._name_: _protocol_category(p) for p in Protocol}


_Plan = tuple[tuple[Any, ...], ...]

#: A filter chain (L6a): its kind ("tcp" for TCP and TLS, or "http"), its match
#: (transport protocol, ALPNs, SNI names, destination CIDRs), the host it serves and, for
#: an HTTP chain, its route name.
Chain = tuple[str, tuple[Any, ...], str, "str | None"]
_NONE: Final[frozenset[str]] = frozenset()
#: The match of a chain that takes all traffic: no transport, ALPN, SNI or CIDR condition.
MATCH_ALL: Final = ("", (), _NONE, _NONE)
#: L6a: an HTTP chain on the wildcard matches plain-text HTTP only (its ALPNs, raw TCP).
_HTTP_ALPN_MATCH: Final = ("raw_buffer", ("http/1.1", "h2c"), _NONE, _NONE)
_TLS_FAMILY: Final = (Protocol.TLS, Protocol.HTTPS)


def _masked(cidr: str) -> frozenset[str]:
    """L6a: a destination CIDR as compared, masked (``0.0.0.0`` is ignored)."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return _NONE
    return _NONE if network.network_address.is_unspecified else frozenset({str(network)})


def filter_chains(  # noqa: PLR0913 - what one service port brings to one entry
    host: str,
    names: tuple[str, ...],
    protocol: Protocol,
    service_address: str,
    *,
    on_wildcard: bool,
    endpoint: str | None,
    port: int,
) -> tuple[Chain, ...]:
    """The filter chains a service port brings to an entry, with their matches (L6a, L7).

    ``names`` are the hostname and its aliases (a TLS chain matched by SNI lists them all);
    ``on_wildcard`` whether the entry sits on the proxy's wildcard address; ``endpoint``
    the endpoint a per-endpoint entry stands for (L5), matched as a destination CIDR.
    """
    category = _CATEGORY[protocol._name_]
    if category == "http":
        # An HTTP_PROXY listener is built as plain HTTP, without the ALPN match.
        alpn = on_wildcard and protocol is not Protocol.HTTP_PROXY
        return (("http", _HTTP_ALPN_MATCH if alpn else MATCH_ALL, host, str(port)),)
    cidr = "/" in service_address
    if cidr:
        cidrs = _masked(service_address)
    elif endpoint is not None:
        cidrs = _masked(endpoint)
    else:
        cidrs = _NONE
    if protocol in _TLS_FAMILY:
        by_sni = cidr or (on_wildcard and service_address == WILDCARD_ADDRESS)
        sni = frozenset(names) if by_sni else _NONE
        return (("tcp", ("tls" if sni else "", (), sni, cidrs), host, None),)
    tcp: Chain = ("tcp", ("", (), _NONE, cidrs), host, None)
    if category == "tcp":
        return (tcp,)
    route = str(port) if on_wildcard else f"{host}:{port}"  # L7
    return (tcp, ("http", _HTTP_ALPN_MATCH, host, route))


def _port_plans(mesh: Mesh, mode: tuple[Any, ...]) -> dict[MeshService, _Plan]:
    """The mesh's cache of port plans for one kind of catch-all, by service."""
    cache = cache_of(mesh).port_plans
    found = cache.get(mode)
    if found is None:
        found = cache[mode] = {}
    return found


def _port_plan(  # noqa: PLR0913 - the service and the kind of listener
    service: MeshService,
    reserved: frozenset[int],
    unshared: frozenset[str],
    *,
    wildcard: str,
    loopback: str | None,
    headless_chains: bool,
    bind: str | None,
) -> _Plan:
    """What each port of ``service`` asks of a catch-all listener (L2..L5).

    ``wildcard`` is the proxy's wildcard address; ``loopback`` its loopback address when
    the listener binds real sockets (L1), else None; ``bind`` the listener's bind.
    One row per entry asked for: its key (None on a reserved proxy port, L3, or for a row
    that only adds route names), port number, protocol, the protocol an entry it creates
    records (L4), its L6 category, the hostname, the names it adds to route "P" (R4, with
    aliases), a dictionary of prebuilt listeners or None, and the endpoint address the row
    stands for (L5: skipped for the proxy that has it), else None. UDP ports and alias
    services ask for nothing (L4).
    """
    if service.resolution == ALIAS_RESOLUTION:
        return ()  # L4: alias services produce nothing
    own_address = service.address
    binds = loopback is not None
    per_endpoint = _per_endpoint(service, bind, binds)
    endpoints = [e for e in service.endpoints if is_ip_address(e)] if per_endpoint else []
    host = service.hostname
    names = (host, *(a.hostname for a in service.aliases))
    rows: list[tuple[Any, ...]] = []
    for port in service.ports:
        protocol = port.protocol
        if protocol is Protocol.UDP:
            continue  # L4: UDP produces nothing
        category = _CATEGORY[protocol._name_]
        number = port.number
        http = category == "http"
        # R4: a default virtual host, whose domains include the aliases (5.4 step 5)
        routed = names if category != "tcp" else ()
        if per_endpoint and not http:
            # L5 special case (b): one entry per endpoint IP (the flag folds pure TCP ports
            # into one wildcard entry with a CIDR match per endpoint).
            if routed:
                rows.append(
                    (None, number, protocol, protocol, category, host, routed, None, None, ())
                )
            shared = headless_chains and category == "tcp"
            for endpoint in endpoints:
                at = wildcard if shared else endpoint
                chains = filter_chains(
                    host,
                    names,
                    protocol,
                    own_address,
                    on_wildcard=at == wildcard,
                    endpoint=endpoint,
                    port=number,
                )
                rows.append(
                    (
                        (at, number),
                        number,
                        protocol,
                        protocol,
                        category,
                        host,
                        (),
                        None,
                        endpoint,
                        chains,
                    )
                )
            continue
        address = _entry_address(bind, loopback, http, own_address, wildcard)
        blocked = number in reserved and _on_wildcard(bind, binds, protocol, wildcard)  # L3
        key = None if blocked else (address, number)
        recorded = _recorded_protocol(protocol, http, address, wildcard)
        # Only this service asks for a key on its own, unshared address: no merging can
        # happen there, so the finished listener is prebuilt (per egress index).
        alone = (
            not http
            and not bind
            and not binds
            and key is not None
            and key[0] == own_address
            and own_address in unshared
        )
        chains = filter_chains(
            host,
            names,
            protocol,
            own_address,
            on_wildcard=address == wildcard,
            endpoint=None,
            port=number,
        )
        rows.append(
            (
                key,
                number,
                protocol,
                recorded,
                category,
                host,
                routed,
                {} if alone else None,
                None,
                chains,
            )
        )
    return tuple(rows)


def _entry_address(
    bind: str | None,
    loopback: str | None,
    http: bool,  # noqa: FBT001 - private, called per service port
    service_address: str,
    wildcard: str,
) -> str:
    """The address of the entry a service port asks for (L2, L4).

    ``loopback`` is the proxy's loopback address when the listener binds real sockets.
    """
    if bind:
        return bind  # L2: an explicit bind
    if loopback is not None:
        return loopback  # L2: a socket-binding listener without bind sits on loopback
    if http or "/" in service_address or service_address == WILDCARD_ADDRESS:
        # L4: one listener for every HTTP service on the port; a CIDR address (plus a CIDR
        # match) or no address at all also takes the wildcard.
        return wildcard
    return service_address


def _recorded_protocol(protocol: Protocol, http: bool, address: str, wildcard: str) -> Protocol:  # noqa: FBT001
    """L4: the protocol a new entry records: a wildcard HTTP entry sniffs, HTTP_PROXY stays."""
    if http and address == wildcard and protocol is not Protocol.HTTP_PROXY:
        return Protocol.UNSUPPORTED
    return protocol


def _per_endpoint(service: MeshService, bind: str | None, binds: bool) -> bool:  # noqa: FBT001
    """L5 special case (b): a passthrough service gets one entry per endpoint IP."""
    return (
        not bind
        and not binds
        and service.resolution == "NONE"
        and service.address == WILDCARD_ADDRESS
        and (
            service.registry is Registry.KUBERNETES
            or bool(service.endpoints)
            or bool(service.selector)
        )
    )


def _privileged_conflict(unprivileged_binds: bool, port: int) -> bool:  # noqa: FBT001
    """L3: an unprivileged proxy binding a real socket cannot take a port below 1024."""
    return unprivileged_binds and port in PRIVILEGED_PORTS


def _alone(key: tuple[str, int], protocol: Protocol, index: int, host: str) -> OutboundListener:
    """The listener of a TCP or sniffed service port alone on its own address (L4, L7)."""
    address, port = key
    sniffed = protocol is Protocol.UNSUPPORTED
    return OutboundListener(
        address=address,
        port=port,
        protocol=protocol,
        binds_socket=False,
        egress_index=index,
        route=f"{host}:{port}" if sniffed else None,
        hosts=(host,),
        # R1, MSP3: the catch-all owns route "<host>:P" unless a ported listener has port P
        # (_Builder.build rewrites that case).
        route_egress_index=index if sniffed else None,
    )


def _unshared_addresses(mesh: Mesh) -> frozenset[str]:
    """Service addresses that exactly one service declares and that are no endpoint."""
    cache = cache_of(mesh)
    cached = cache.unshared_addresses
    if cached is None:
        seen: dict[str, int] = {}
        endpoints: set[str] = set()
        for service in mesh.services:
            seen[service.address] = seen.get(service.address, 0) + 1
            endpoints.update(service.endpoints)
        cached = cache.unshared_addresses = frozenset(
            a for a, n in seen.items() if n == 1 and a != WILDCARD_ADDRESS and a not in endpoints
        )
    return cached


def _on_wildcard(bind: str | None, binds: bool, protocol: Protocol, wildcard: str) -> bool:  # noqa: FBT001
    """Whether L3 takes a listener to sit on the wildcard address, where proxy ports are.

    istiod's ``conflictWithReservedListener`` looks at the bind, not at the address the
    listener ends up on: an explicit bind counts when it is the wildcard; a socket-binding
    listener without bind sits on loopback; otherwise only an HTTP protocol counts (a TCP
    or sniffed port on a service without address is not checked).
    """
    if bind:
        return bind == wildcard
    return not binds and protocol.is_http


def _route_names(services: Iterable[MeshService], port: int | None) -> list[str]:
    """The virtual host names services get on a route: each hostname and its kept aliases.

    Only services with an HTTP or sniffed port ``port`` (any port when None) get one
    (R4); alias services get none of their own, the service they point at carries their
    names as extra domains (istiod's ``generateVirtualHostDomains``).
    """
    names = []
    for service in services:
        if service.resolution == ALIAS_RESOLUTION:
            continue
        if not any(
            (port is None or p.number == port) and _CATEGORY[p.protocol._name_] != "tcp"
            for p in service.ports
        ):
            continue
        names.append(service.hostname)
        names.extend(a.hostname for a in service.aliases)
    return names
