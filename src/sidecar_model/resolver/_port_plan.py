"""What each service port asks of an outbound listener (L2 to L6), planned once per mesh."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sidecar_model.mesh import Mesh, MeshService, Registry, is_ip
from sidecar_model.mesh._values import ALIAS_RESOLUTION, WILDCARD_ADDRESS
from sidecar_model.model import (
    Protocol,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
from sidecar_model.resolver._cache import cache_of
from sidecar_model.resolver._listener_values import OutboundListener

#: Envoy status and Prometheus ports, which no wildcard listener may take (L3, §6.4).
RESERVED_PORTS: Final = frozenset({15021, 15090})
DEFAULT_PROXY_LISTEN_PORT: Final = 15001
DEFAULT_PROXY_INBOUND_LISTEN_PORT: Final = 15006
PRIVILEGED_PORTS: Final = range(1, 1024)
_MONGO_MYSQL: Final = (Protocol.MONGO, Protocol.MYSQL)  # a tuple: enum hashing is slow


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
    filter_chains: bool,
) -> _Plan:
    """What each port of ``service`` asks of a catch-all listener without ``bind`` (L2..L5).

    ``wildcard`` is the proxy's wildcard address; ``loopback`` its loopback address when
    the listener binds real sockets, so that every entry sits there (L2), else None.
    One row per entry asked for: its key (None on a reserved proxy port, L3, or for a row
    that only adds route names), port number, protocol, the protocol an entry it creates
    records (L4), its L6 category, the hostname, the names it adds to route "P" (R4, with
    aliases), a dictionary of prebuilt listeners or None, and the endpoint address the row
    stands for (L5: skipped for the proxy that has it), else None. UDP ports and alias
    services ask for nothing (L4).
    """
    resolution = service.resolution
    if resolution == ALIAS_RESOLUTION:
        return ()
    own_address = service.address
    per_endpoint = (
        loopback is None
        and resolution == "NONE"
        and own_address == WILDCARD_ADDRESS
        and (
            service.registry is Registry.KUBERNETES
            or bool(service.endpoints)
            or bool(service.selector)
        )
    )
    endpoints = [e for e in service.endpoints if is_ip(e)] if per_endpoint else []
    host = service.hostname
    names = (host, *(a.hostname for a in service.aliases))
    rows: list[tuple[Any, ...]] = []
    for port in service.ports:
        protocol = port.protocol
        if protocol is Protocol.UDP:
            continue
        category = _CATEGORY[protocol._name_]
        number = port.number
        http = category == "http"
        routed = names if category != "tcp" else ()
        if per_endpoint and not http:
            # L5 special case (b): one entry per endpoint IP (the flag folds pure TCP ports
            # into one wildcard entry with a CIDR match per endpoint).
            if routed:
                rows.append((None, number, protocol, protocol, category, host, routed, None, None))
            shared = filter_chains and category == "tcp"
            rows.extend(
                (
                    (wildcard if shared else endpoint, number),
                    number,
                    protocol,
                    protocol,
                    category,
                    host,
                    (),
                    None,
                    endpoint,
                )
                for endpoint in endpoints
            )
            continue
        if loopback is not None:
            address = loopback
        elif http or "/" in own_address or own_address == WILDCARD_ADDRESS:
            address = wildcard
        else:
            address = own_address
        # L3: without bind, only an HTTP port is taken to sit on the wildcard.
        key = None if http and loopback is None and number in reserved else (address, number)
        recorded = (
            Protocol.UNSUPPORTED
            if http and address == wildcard and protocol is not Protocol.HTTP_PROXY
            else protocol
        )
        # Only this service asks for a key on its own, unshared address: no merging can
        # happen there, so the finished listener is prebuilt (per egress index).
        alone = (
            not http
            and loopback is None
            and key is not None
            and key[0] == own_address
            and own_address in unshared
        )
        rows.append(
            (key, number, protocol, recorded, category, host, routed, {} if alone else None, None)
        )
    return tuple(rows)


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
