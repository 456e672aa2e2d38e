"""Outbound listener construction for one scope (L1 to L7, MSP1 to MSP6, R1 to R4).

Merging entries by (address, port), locking by the catch-all, and route ownership.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sidecar_model.mesh._values import ALIAS_RESOLUTION
from sidecar_model.model import (
    CaptureMode,
    Protocol,
)
from sidecar_model.resolver._listener_values import OutboundListener
from sidecar_model.resolver._port_plan import (
    _CATEGORY,
    _MONGO_MYSQL,
    DEFAULT_PROXY_INBOUND_LISTEN_PORT,
    DEFAULT_PROXY_LISTEN_PORT,
    RESERVED_PORTS,
    _alone,
    _entry_address,
    _on_wildcard,
    _port_plan,
    _port_plans,
    _privileged_conflict,
    _recorded_protocol,
    _route_names,
    _unshared_addresses,
)

if TYPE_CHECKING:
    from sidecar_model.mesh import MeshService
    from sidecar_model.resolver._scope import EgressScope, SidecarScope


#: The one port whose routes carry every VirtualService of the listener (R3).
HTTP_PORT: Final = 80


class _Entry:
    """An outbound listener under construction, keyed by (address, port)."""

    __slots__ = (
        "address",
        "binds",
        "egress_index",
        "http",
        "locked",
        "port",
        "protocol",
        "shadowed",
        "tcp",
        "uds",
    )

    def __init__(  # noqa: PLR0913 - a plain record, built in a hot loop
        self,
        address: str,
        port: int,
        protocol: Protocol,
        binds: bool,  # noqa: FBT001
        egress_index: int,
        *,
        uds: bool = False,
    ) -> None:
        self.address = address
        self.port = port
        self.protocol = protocol
        self.binds = binds
        self.egress_index = egress_index
        self.locked = False
        self.uds = uds
        self.tcp: list[str] = []
        self.http: list[str] = []
        self.shadowed: list[str] = []


class _Builder:
    """Outbound listener construction for one scope and one kind of proxy (§5.11)."""

    def __init__(
        self,
        scope: SidecarScope,
        capture_none: bool,  # noqa: FBT001
        unprivileged: bool,  # noqa: FBT001
        own_ip: str | None = None,
    ) -> None:
        self.scope = scope
        config = scope.mesh.config
        self.capture_none = capture_none
        self.unprivileged = unprivileged
        #: The proxy's own address, when some headless service lists it as an endpoint (L5).
        self.own_ip = own_ip
        self.headless_filter_chain = config.headless_filter_chain_listener
        family = scope.workload.ip_family
        #: The proxy's wildcard and loopback addresses (L2, L4); dual-stack proxies list
        #: the IPv4 ones first, which is what an entry is keyed by.
        self.wildcard = family.wildcard
        self.loopback = family.loopback
        self.reserved = RESERVED_PORTS | {
            config.proxy_listen_port or DEFAULT_PROXY_LISTEN_PORT,
            config.proxy_inbound_listen_port or DEFAULT_PROXY_INBOUND_LISTEN_PORT,
        }
        #: Entries under construction, or finished listeners a plan row prebuilt (see
        #: _port_plan) for a key nothing else can touch; ``_entry`` thaws those on demand.
        self.entries: dict[tuple[str, int], _Entry | OutboundListener] = {}
        self.catch_all_routes: dict[int, dict[int, list[str]]] = {}
        #: route name -> (port, serving egress index or None, virtual host names) (R1..R4)
        self.routes: dict[str, tuple[int, int | None, list[str]]] = {}

    def build(self) -> tuple[OutboundListener, ...]:
        for egress in self.scope.egress:
            listener = egress.listener
            # L1
            binds = (
                self.capture_none
                or listener.capture_mode is CaptureMode.NONE
                or (listener.bind or "").startswith("unix://")
            )
            if listener.port is not None:
                self._ported(egress, binds)
            else:
                self._catch_all(egress, binds)
        return tuple(
            e if isinstance(e, OutboundListener) else self._result(e) for e in self.entries.values()
        )

    def _entry(self, key: tuple[str, int]) -> _Entry | None:
        """The entry at ``key``, a prebuilt listener made an entry again when something joins."""
        found = self.entries.get(key)
        if isinstance(found, OutboundListener):
            entry = _Entry(
                found.address, found.port, found.protocol, found.binds_socket, found.egress_index
            )
            entry.tcp.extend(found.hosts)
            self.entries[key] = entry
            return entry
        return found

    def _can_bind(self, bind: str | None, binds: bool, protocol: Protocol, port: int) -> bool:  # noqa: FBT001
        """L3 (istiod's ``CanBindToPort``), before any address is chosen for a service."""
        if _privileged_conflict(binds and self.unprivileged, port):
            return False
        return not (port in self.reserved and _on_wildcard(bind, binds, protocol, self.wildcard))

    def _ported(self, egress: EgressScope, binds: bool) -> None:  # noqa: FBT001
        listener = egress.listener
        assert listener.port is not None  # noqa: S101 - caller checks
        number = listener.port.number or 0
        protocol = listener.port.parsed_protocol  # L3: the Sidecar protocol wins
        bind = listener.bind
        if number == 0 and bind and bind.startswith("unix://"):
            entry = _Entry(bind, 0, protocol, True, egress.index, uds=True)  # noqa: FBT003
            self.entries[(bind, 0)] = entry
            entry.http.extend(_route_names(egress.services, None))
            self.routes[bind] = (0, egress.index, entry.http)  # L7, R2: all ports
            return
        if not self._can_bind(bind, binds, protocol, number):
            return  # L3: the whole listener is skipped
        loopback = self.loopback if binds else None
        http = _CATEGORY[protocol._name_] == "http"
        for service in egress.services:
            if service.resolution == ALIAS_RESOLUTION:
                continue  # L4: alias services produce nothing
            address = _entry_address(bind, loopback, http, service.address, self.wildcard)
            self._add(address, number, protocol, binds, egress.index, service)

    def _catch_all(self, egress: EgressScope, binds: bool) -> None:  # noqa: C901, FBT001, PLR0912 - the hot loop
        entries = self.entries
        for key in list(entries):
            existing = self._entry(key)
            if existing is not None:
                existing.locked = True  # L5, MSP2
        bind = egress.listener.bind
        # What each service port asks for depends on the service and on the kind of
        # listener (L2..L5): it is planned once per service and mesh and shared by every
        # scope that imports the service; only the merging (L5, L6), the proxy's own
        # address and its privileges are per scope.
        index = egress.index
        routes: dict[int, list[str]] = self.catch_all_routes.setdefault(index, {})
        mesh = self.scope.mesh
        reserved = self.reserved
        filter_chains = self.headless_filter_chain
        wildcard = self.wildcard
        loopback = self.loopback if binds else None
        plans = _port_plans(mesh, (reserved, loopback, wildcard, filter_chains, bind))
        unshared = _unshared_addresses(mesh)
        privileged = binds and self.unprivileged
        own_ip = self.own_ip
        for service in egress.services:
            plan = plans.get(service)
            if plan is None:
                plan = plans[service] = _port_plan(
                    service,
                    reserved,
                    unshared,
                    wildcard=wildcard,
                    loopback=loopback,
                    filter_chains=filter_chains,
                    bind=bind,
                )
            for key, number, protocol, recorded, category, host, names, prebuilt, at in plan:
                if names:
                    served = routes.get(number)
                    if served is None:
                        routes[number] = [*names]
                    else:
                        served.extend(names)
                if key is None or (at is not None and at == own_ip):
                    continue  # L3: a reserved proxy port; L5: the proxy's own address
                if privileged and _privileged_conflict(privileged, number):
                    continue  # L3
                entry = entries.get(key)
                if entry is None:
                    if prebuilt is not None:
                        # A key only this service port can ask for: its listener is the
                        # same in every scope (per egress index), built once per mesh.
                        done = prebuilt.get(index)
                        if done is None:
                            done = prebuilt[index] = _alone(key, recorded, index, host)
                        entries[key] = done
                        continue
                    entry = entries[key] = _Entry(key[0], number, recorded, binds, index)
                    (entry.http if category == "http" else entry.tcp).append(host)
                    continue
                if isinstance(entry, OutboundListener):
                    entry = self._entry(key)
                    assert entry is not None  # noqa: S101 - just thawed
                self._merge(entry, key, protocol, binds, index, host)

    def _add(  # noqa: PLR0913, PLR0917 - the parts of one L4 entry key, in a hot loop
        self,
        address: str,
        port: int,
        protocol: Protocol,
        binds: bool,  # noqa: FBT001
        egress_index: int,
        service: MeshService,
    ) -> None:
        key = (address, port)
        host = service.hostname
        entry = self._entry(key)
        if entry is None:
            http = _CATEGORY[protocol._name_] == "http"
            recorded = _recorded_protocol(protocol, http, address, self.wildcard)
            entry = self.entries[key] = _Entry(address, port, recorded, binds, egress_index)
            (entry.http if http else entry.tcp).append(host)
            return
        self._merge(entry, key, protocol, binds, egress_index, host)

    def _merge(  # noqa: PLR0913, PLR0917 - an entry and its newcomer
        self,
        entry: _Entry,
        key: tuple[str, int],
        protocol: Protocol,
        binds: bool,  # noqa: FBT001
        egress_index: int,
        host: str,
    ) -> None:
        """A newcomer on an existing (address, port) entry: locking (L5), then L6."""
        if entry.locked:
            entry.shadowed.append(host)  # L5: MSP2
            return
        address, port = key
        if protocol is Protocol.HTTP_PROXY:
            fresh = _Entry(address, port, protocol, binds, egress_index)
            fresh.http.append(host)
            self.entries[key] = fresh
            return
        old = entry.protocol
        if (protocol in _MONGO_MYSQL or old in _MONGO_MYSQL) and protocol is not old:
            entry.shadowed.append(host)
            return
        new_cat = _CATEGORY[protocol._name_]
        old_cat = _CATEGORY[old._name_]
        if new_cat == "http":
            if old_cat == "tcp":
                entry.protocol = Protocol.UNSUPPORTED
            entry.http.append(host)
        elif new_cat == "tcp":
            if old_cat == "http":
                entry.protocol = Protocol.UNSUPPORTED
            entry.tcp.append(host)
        elif old_cat == "http":
            # auto-detect onto HTTP replaces it
            fresh = _Entry(address, port, Protocol.UNSUPPORTED, binds, egress_index)
            fresh.tcp.append(host)
            self.entries[key] = fresh
        else:
            entry.protocol = Protocol.UNSUPPORTED
            entry.tcp.append(host)

    def _route_owner(self, port: int, route: str) -> EgressScope | None:
        for egress in self.scope.egress:  # R1
            listener = egress.listener
            if listener.port is None:
                return egress
            if listener.port.number == port and (port != 0 or listener.bind == route):
                return egress
        return None

    def _route_hosts(self, port: int, route: str) -> list[str]:
        """The virtual host names of route ``route`` (R1 to R4), computed once per route."""
        found = self.routes.get(route)
        if found is None:
            owner = self._route_owner(port, route)
            hosts = [] if owner is None else self._served(owner, port)
            found = self.routes[route] = (port, None if owner is None else owner.index, hosts)
        return found[2]

    def _served(self, owner: EgressScope, port: int) -> list[str]:
        listener_port = owner.listener.port
        if listener_port is None:
            # R2, R4 for the catch-all: its services with an HTTP or sniffed port P,
            # collected by _catch_all in the same pass.
            served = self.catch_all_routes.get(owner.index, {}).get(port, [])
        elif listener_port.parsed_protocol is Protocol.HTTP_PROXY or not listener_port.number:
            # R2: HTTP_PROXY and UDS routes take every port of every service (P = 0).
            port = 0
            served = _route_names(owner.services, None)
        else:
            # R2: the ported listener's services, already trimmed to P; R4: only an HTTP
            # or sniffed service port gets a virtual host, whatever the Sidecar protocol.
            served = _route_names(owner.services, port)
        if port == HTTP_PORT and owner.virtual_services:
            # R3: on port 80 every VirtualService of the listener gets its virtual hosts,
            # so VS hosts that are no registry service are reachable there (and only there).
            known = set(served)
            served = [
                *served,
                *(h for v in owner.virtual_services for h in v.hosts if h not in known),
            ]
        return served

    def _result(self, entry: _Entry) -> OutboundListener:
        category = _CATEGORY[entry.protocol._name_]
        route: str | None = None
        owner: int | None = None
        if category == "tcp" and not entry.http and not entry.shadowed and len(entry.tcp) == 1:
            # The common case, a TCP service on its own address: nothing to merge.
            hosts: tuple[str, ...] = (entry.tcp[0],)
            lost: tuple[str, ...] = ()
        else:
            route, owner, hosts, lost = self._routing(entry, category)
        return OutboundListener(
            address=entry.address,
            port=entry.port,
            protocol=entry.protocol,
            binds_socket=entry.binds,
            egress_index=entry.egress_index,
            route=route,
            hosts=hosts,
            shadowed=lost,
            route_egress_index=owner,
        )

    def _routing(
        self, entry: _Entry, category: str
    ) -> tuple[str | None, int | None, tuple[str, ...], tuple[str, ...]]:
        """An entry's route, the egress index serving it, its hosts and its shadowed hosts."""
        route: str | None = None
        owner: int | None = None
        carried = entry.tcp
        shadowed = entry.shadowed
        if entry.uds:
            route = entry.address  # L7
            owner = entry.egress_index
            carried = entry.http
        elif (
            entry.http
            or category == "http"
            or (category == "auto" and entry.address == self.wildcard)
        ):
            route = str(entry.port)
            # MSP1: the route of port P is served by the owning egress listener (R1).
            served = self._route_hosts(entry.port, route)
            owner = self.routes[route][1]
            carried = [*entry.tcp, *served]
            serving = set(served)
            shadowed = [*shadowed, *(h for h in entry.http if h not in serving)]
        elif category == "auto":
            # L7: a sniffed listener on a service address: route "<hostname>:P" (MSP3)
            route = f"{entry.tcp[0] if entry.tcp else ''}:{entry.port}"
        hosts = tuple(carried) if len(carried) < 2 else tuple(dict.fromkeys(carried))  # noqa: PLR2004
        if shadowed:
            kept = set(hosts)
            lost = tuple(h for h in dict.fromkeys(shadowed) if h not in kept)
        else:
            lost = ()
        return route, owner, hosts, lost
