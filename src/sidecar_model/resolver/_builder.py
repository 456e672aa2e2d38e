"""Outbound listener construction for one scope (L1 to L7, MSP1 to MSP6, R1 to R4).

Merging entries by (address, port), locking by the catch-all, and route ownership.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from sidecar_model.hosts import matches
from sidecar_model.mesh._values import ALIAS_RESOLUTION
from sidecar_model.model import (
    CaptureMode,
    Protocol,
)
from sidecar_model.resolver._cache import cache_of
from sidecar_model.resolver._listener_values import OutboundListener
from sidecar_model.resolver._port_plan import (
    _CATEGORY,
    _MONGO_MYSQL,
    MATCH_ALL,
    Chain,
    _alone,
    _entry_address,
    _on_wildcard,
    _port_plan,
    _port_plans,
    _privileged_conflict,
    _recorded_protocol,
    _route_names,
    _unshared_addresses,
    filter_chains,
    proxy_listener_ports,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sidecar_model.mesh import MeshService
    from sidecar_model.resolver._scope import EgressScope, SidecarScope


#: The one port whose routes carry every VirtualService of the listener (R3).
HTTP_PORT: Final = 80
_HTTP_PROXY: Final = Protocol.HTTP_PROXY


class _Entry:
    """An outbound listener under construction, keyed by (address, port)."""

    __slots__ = (
        "address",
        "binds",
        "chains",
        "dropped",
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
        chains: tuple[Chain, ...] = (),
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
        #: The entry's filter chains (L6a), first come first kept; a plan's tuple until
        #: something joins.
        self.chains: tuple[Chain, ...] | list[Chain] = chains
        #: Hosts all of whose incoming chains collided with a kept one (L6a).
        self.dropped: list[str] = []

    def merge_chains(self, incoming: tuple[Chain, ...], host: str) -> None:
        """L6a: keep every chain already here; drop each incoming one whose match is taken."""
        taken = {chain[1] for chain in self.chains}
        kept = [chain for chain in incoming if chain[1] not in taken]
        if kept:
            self.chains = [*self.chains, *kept]
        elif incoming:
            self.dropped.append(host)


def _on_port(ports_list: list[dict[int, bool]], port: int | None) -> tuple[bool, bool]:
    """R3: whether a named service has port P (any port for None), and whether one is HTTP.

    A host naming such a service is a registry host for route P; "HTTP" means HTTP or
    sniffed.
    """
    has_port = web = False
    for ports in ports_list:
        if port is None:
            if ports:
                has_port = True
                web = web or any(ports.values())
        elif port in ports:
            has_port = True
            web = web or ports[port]
    return has_port, web


def _wildcard_names(vs_host: str, hostnames: Iterable[str]) -> frozenset[str]:
    """R3: the hostnames a wildcard VirtualService host names: itself, or those it covers.

    A plain hostname is named when it ends with the wildcard's suffix; a wildcard hostname
    when the two overlap.
    """
    suffix = vs_host[1:]
    return frozenset(
        name
        for name in hostnames
        if (matches(vs_host, name) if name[:1] == "*" else name.endswith(suffix))
    )


#: R3, per VirtualService: its hosts, and per host naming services their port maps.
_VsNames = list[tuple[tuple[str, ...], "list[tuple[str, list[dict[int, bool]]]] | None"]]
#: R3 lookups per egress index: service ports by hostname, the hostnames each wildcard
#: VirtualService host names, and what each VirtualService names.
_R3Lookups = tuple[
    dict[int, dict[str, dict[int, bool]]],
    dict[tuple[int, str], list[str]],
    dict[int, tuple[_VsNames, _VsNames]],
]


class _Builder:
    """Outbound listener construction for one scope and one kind of proxy (§5.11)."""

    def __init__(  # noqa: PLR0913 - the scope, the kind of proxy, and what scopes share
        self,
        scope: SidecarScope,
        capture_none: bool,  # noqa: FBT001
        unprivileged: bool,  # noqa: FBT001
        own_ip: str | None = None,
        fallthrough: str | None = None,
        *,
        signature: object = None,
    ) -> None:
        self.scope = scope
        #: A value equal for scopes whose egress listeners, services and VirtualServices
        #: are equal (see ``_outbound._signature``); None: nothing is shared across scopes.
        self.signature = signature
        #: Where traffic goes that no chain of a listener matches (T5, T7).
        self.fallthrough = fallthrough
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
        self.reserved = proxy_listener_ports(config)  # L3
        #: Entries under construction, or finished listeners a plan row prebuilt (see
        #: _port_plan) for a key nothing else can touch; ``_entry`` thaws those on demand.
        self.entries: dict[tuple[str, int], _Entry | OutboundListener] = {}
        self.catch_all_routes: dict[int, dict[int, list[str]]] = {}
        #: route name -> (port, serving egress index or None, virtual host names) (R1..R4)
        self.routes: dict[str, tuple[int, int | None, list[str]]] = {}
        #: R3 lookups, per egress index: service ports by hostname, and the hostnames
        #: each wildcard VirtualService host names.
        #: They depend on the egress listener alone: scopes with the same signature share
        #: them (kept per mesh).
        shared: _R3Lookups = (
            ({}, {}, {})
            if signature is None
            else cache_of(scope.mesh).r3_lookups.setdefault(signature, ({}, {}, {}))
        )
        self._ports_by_owner: dict[int, dict[str, dict[int, bool]]] = shared[0]
        self._wildcard_names: dict[tuple[int, str], list[str]] = shared[1]
        self._vs_names: dict[int, tuple[_VsNames, _VsNames]] = shared[2]

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
        ported = self._ported_ports()
        if not ported:
            # No ported listener: every prebuilt listener's sniffed route is the catch-all's.
            return tuple(
                e if isinstance(e, OutboundListener) else self._result(e)
                for e in self.entries.values()
            )
        return tuple(
            (self._prebuilt(e, ported) if isinstance(e, OutboundListener) else self._result(e))
            for e in self.entries.values()
        )

    def _ported_ports(self) -> dict[int, int]:
        """R1: the first egress listener with each port number, by port."""
        found: dict[int, int] = {}
        for egress in self.scope.egress:
            port = egress.listener.port
            if port is not None and port.number:
                found.setdefault(port.number, egress.index)
        return found

    @staticmethod
    def _prebuilt(listener: OutboundListener, ported: dict[int, int]) -> OutboundListener:
        """A prebuilt listener, its sniffed route owned by a ported listener when one has P."""
        owner = ported.get(listener.port) if listener.route is not None else None
        if owner is None:
            return listener
        return attrs.evolve(listener, route_egress_index=owner)  # R1, MSP3

    def _entry(self, key: tuple[str, int]) -> _Entry | None:
        """The entry at ``key``, a prebuilt listener made an entry again when something joins."""
        found = self.entries.get(key)
        if isinstance(found, OutboundListener):
            (host,) = found.hosts
            chains = filter_chains(
                host,
                (host,),
                found.protocol,
                found.address,
                on_wildcard=False,
                endpoint=None,
                port=found.port,
            )
            entry = _Entry(
                found.address,
                found.port,
                found.protocol,
                found.binds_socket,
                found.egress_index,
                chains=chains,
            )
            entry.tcp.append(host)
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
            # §5.15: every imported service brings the same match-all TCP chain to the one
            # socket, so only the first one's survives (L6a).
            entry.tcp.extend(
                s.hostname for s in egress.services if s.resolution != ALIAS_RESOLUTION
            )
            entry.http.extend(_route_names(egress.services, None))
            if _CATEGORY[protocol._name_] != "tcp":
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
            chains = filter_chains(
                service.hostname,
                (service.hostname, *(a.hostname for a in service.aliases)),
                protocol,
                service.address,
                on_wildcard=address == self.wildcard,
                endpoint=None,
                port=number,
            )
            self._add(address, number, protocol, binds, egress.index, service, chains)

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
        headless_chains = self.headless_filter_chain
        wildcard = self.wildcard
        loopback = self.loopback if binds else None
        plans = _port_plans(mesh, (reserved, loopback, wildcard, headless_chains, bind))
        unshared = _unshared_addresses(mesh)
        privileged = binds and self.unprivileged
        own_ip = self.own_ip
        merge = self._merge
        for service in egress.services:
            plan = plans.get(service)
            if plan is None:
                plan = plans[service] = _port_plan(
                    service,
                    reserved,
                    unshared,
                    wildcard=wildcard,
                    loopback=loopback,
                    headless_chains=headless_chains,
                    bind=bind,
                )
            for (
                key,
                number,
                protocol,
                recorded,
                category,
                host,
                names,
                prebuilt,
                at,
                chains,
            ) in plan:
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
                    entry = entries[key] = _Entry(
                        key[0], number, recorded, binds, index, chains=chains
                    )
                    (entry.http if category == "http" else entry.tcp).append(host)
                    continue
                if isinstance(entry, OutboundListener):
                    entry = self._entry(key)
                    assert entry is not None  # noqa: S101 - just thawed
                merge(entry, key, protocol, binds, index, host, chains)

    def _add(  # noqa: PLR0913, PLR0917 - the parts of one L4 entry key, in a hot loop
        self,
        address: str,
        port: int,
        protocol: Protocol,
        binds: bool,  # noqa: FBT001
        egress_index: int,
        service: MeshService,
        chains: tuple[Chain, ...],
    ) -> None:
        key = (address, port)
        host = service.hostname
        entry = self._entry(key)
        if entry is None:
            http = _CATEGORY[protocol._name_] == "http"
            recorded = _recorded_protocol(protocol, http, address, self.wildcard)
            entry = self.entries[key] = _Entry(
                address, port, recorded, binds, egress_index, chains=chains
            )
            (entry.http if http else entry.tcp).append(host)
            return
        self._merge(entry, key, protocol, binds, egress_index, host, chains)

    def _merge(  # noqa: PLR0913, PLR0917 - an entry and its newcomer
        self,
        entry: _Entry,
        key: tuple[str, int],
        protocol: Protocol,
        binds: bool,  # noqa: FBT001
        egress_index: int,
        host: str,
        chains: tuple[Chain, ...],
    ) -> None:
        """A newcomer on an existing (address, port) entry: locking (L5), then L6, L6a."""
        if entry.locked:
            entry.shadowed.append(host)  # L5: MSP2
            return
        old = entry.protocol
        new_cat = _CATEGORY[protocol._name_]
        old_cat = _CATEGORY[old._name_]
        if new_cat == "http" and old_cat != "tcp" and protocol is not _HTTP_PROXY:
            # L6b, the common case first: HTTP onto HTTP or sniffing adds no chain, the
            # route decides.
            entry.http.append(host)
            return
        address, port = key
        if protocol is _HTTP_PROXY:
            fresh = _Entry(address, port, protocol, binds, egress_index, chains=chains)
            fresh.http.append(host)
            self.entries[key] = fresh
            return
        if (protocol in _MONGO_MYSQL or old in _MONGO_MYSQL) and protocol is not old:
            entry.shadowed.append(host)
            return
        if new_cat == "http":
            # onto TCP (onto HTTP or sniffing was handled above)
            entry.protocol = Protocol.UNSUPPORTED
            entry.merge_chains(chains, host)
            entry.http.append(host)
        elif new_cat == "tcp":
            if old_cat == "http":
                entry.protocol = Protocol.UNSUPPORTED
            entry.tcp.append(host)
            entry.merge_chains(chains, host)
        elif old_cat == "http":
            # auto-detect onto HTTP replaces it
            fresh = _Entry(address, port, Protocol.UNSUPPORTED, binds, egress_index, chains=chains)
            fresh.tcp.append(host)
            self.entries[key] = fresh
        else:
            entry.protocol = Protocol.UNSUPPORTED
            entry.tcp.append(host)
            # auto-detect onto auto-detect offers only its TCP chains
            offered = chains if old_cat == "tcp" else tuple(c for c in chains if c[0] == "tcp")
            entry.merge_chains(offered, host)

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
        every_port = False
        if listener_port is None:
            # R2, R4 for the catch-all: its services with an HTTP or sniffed port P,
            # collected by _catch_all in the same pass.
            served = self.catch_all_routes.get(owner.index, {}).get(port, [])
        elif listener_port.parsed_protocol is Protocol.HTTP_PROXY or not listener_port.number:
            # R2: HTTP_PROXY and UDS routes take every port of every service (P = 0).
            every_port = True
            served = _route_names(owner.services, None)
        else:
            # R2: the ported listener's services, already trimmed to P; R4: only an HTTP
            # or sniffed service port gets a virtual host, whatever the Sidecar protocol.
            served = _route_names(owner.services, port)
        if owner.virtual_services:
            extra = self._shared_virtual_service_hosts(owner, None if every_port else port)
            if extra:
                known = set(served)
                served = [*served, *(h for h in extra if h not in known)]
        return served

    def _shared_virtual_service_hosts(
        self, owner: EgressScope, port: int | None
    ) -> tuple[str, ...] | list[str]:
        """R3 hosts of route ``port``, once per mesh for scopes with the same signature."""
        if self.signature is None:
            return self._virtual_service_hosts(owner, port)
        cache = cache_of(self.scope.mesh).vs_route_hosts
        key = (self.signature, owner.index, port)
        found = cache.get(key)
        if found is None:
            found = cache[key] = tuple(self._virtual_service_hosts(owner, port))
        return found

    def _virtual_service_hosts(self, owner: EgressScope, port: int | None) -> list[str]:
        """R3: the VirtualService hosts naming no service that route ``port`` carries.

        A VirtualService whose hosts name (or wildcard-match) a service of the listener
        with an HTTP or sniffed port P brings its other hosts, those naming no service of
        the listener with port P (any protocol), to route "P"; ``port`` None stands for
        every port (HTTP_PROXY and unix sockets merge all ports). On port 80 a
        VirtualService naming no such service brings all its hosts (istiod's fallback).
        An alias counts as a service: its name is a domain of the service it points at.
        """
        found: list[str] = []
        every, relevant = self._virtual_service_names(owner)
        # Only port 80 looks at VirtualServices naming no service of the listener.
        for hosts, named in every if port == HTTP_PORT else relevant:
            if named is None:
                # names no service of the listener at all
                if port == HTTP_PORT:
                    found.extend(hosts)
                continue
            registry: list[str] = []
            web = False
            for vs_host, ports_list in named:
                has_port, served = _on_port(ports_list, port)
                if has_port:
                    registry.append(vs_host)
                    web = web or served
            if web:
                found.extend(h for h in hosts if h not in registry)
            elif port == HTTP_PORT:
                found.extend(hosts)
        return found

    def _virtual_service_names(self, owner: EgressScope) -> tuple[_VsNames, _VsNames]:
        """R3, per VirtualService of the listener: its hosts and what each host names.

        What a host names is the port map of each service it names; None stands for a
        VirtualService naming no service of the listener. Every VirtualService, and those
        naming some service; computed once per listener.
        """
        found = self._vs_names.get(owner.index)
        if found is None:
            ports_of = self._service_ports(owner)
            every: _VsNames = []
            for virtual_service in owner.virtual_services:
                # only hosts that name some service can be registry hosts
                named = [
                    (h, [ports_of[n] for n in names])
                    for h in virtual_service.hosts
                    if (names := self._named(owner.index, h, ports_of))
                ]
                every.append((virtual_service.hosts, named or None))
            found = self._vs_names[owner.index] = (
                every,
                [item for item in every if item[1] is not None],
            )
        return found

    def _service_ports(self, owner: EgressScope) -> dict[str, dict[int, bool]]:
        """R3: the ports of each hostname of the listener's services, True when HTTP or sniffed.

        Only hostnames some VirtualService host of the listener names are looked at;
        computed once per egress listener.
        """
        found = self._ports_by_owner.get(owner.index)
        if found is None:
            found = self._ports_by_owner[owner.index] = {}
            by_name = {service.hostname: service for service in owner.services}
            for name in self._wanted(owner, by_name):
                ports: dict[int, bool] = {}
                found[name] = ports
                for p in by_name[name].ports:
                    ports[p.number] = ports.get(p.number, False) or (
                        _CATEGORY[p.protocol._name_] != "tcp"
                    )
        return found

    def _wanted(self, owner: EgressScope, by_name: dict[str, MeshService]) -> set[str]:
        """R3: the hostnames of the listener's services its VirtualService hosts name."""
        wanted: set[str] = set()
        mesh_wide = cache_of(self.scope.mesh).wildcard_names
        for virtual_service in owner.virtual_services:
            for vs_host in virtual_service.hosts:
                if vs_host[:1] != "*":
                    if vs_host in by_name:
                        wanted.add(vs_host)
                    continue
                # The mesh's hostnames the wildcard names, scanned once per mesh.
                everywhere = mesh_wide.get(vs_host)
                if everywhere is None:
                    everywhere = mesh_wide[vs_host] = _wildcard_names(
                        vs_host, self.scope.mesh.services_by_hostname
                    )
                wanted.update(name for name in everywhere if name in by_name)
        return wanted

    def _named(self, index: int, vs_host: str, ports_of: dict[str, dict[int, bool]]) -> list[str]:
        """R3: the hostnames of egress listener ``index`` a VirtualService host names."""
        if vs_host[:1] != "*":
            return [vs_host] if vs_host in ports_of else []
        key = (index, vs_host)
        found = self._wildcard_names.get(key)
        if found is None:
            everywhere = cache_of(self.scope.mesh).wildcard_names[vs_host]  # see _wanted
            found = self._wildcard_names[key] = [n for n in everywhere if n in ports_of]
        return found

    def _result(self, entry: _Entry) -> OutboundListener:
        category = _CATEGORY[entry.protocol._name_]
        route: str | None = None
        owner: int | None = None
        lost: tuple[str, ...] = ()
        dropped: tuple[str, ...] = ()
        if (
            category == "tcp"
            and not entry.uds
            and not entry.http
            and not entry.shadowed
            and len(entry.tcp) == 1
        ):
            # The common case, a TCP service on its own address: nothing to merge.
            hosts: tuple[str, ...] = (entry.tcp[0],)
        else:
            route, owner, hosts, lost, dropped = self._routing(entry, category)
        # L6a, T7: a chain matching all traffic is the default chain; without one, what no
        # chain matches falls through to the policy's target. Unix sockets always have one.
        matches_all = entry.uds or MATCH_ALL in [chain[1] for chain in entry.chains]
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
            dropped=dropped,
            fallthrough=None if matches_all else self.fallthrough,
        )

    def _routing(
        self, entry: _Entry, category: str
    ) -> tuple[str | None, int | None, tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """An entry's route, its owner, its hosts, its shadowed and its dropped hosts."""
        if entry.uds:
            route, owner, carried, dropped = self._unix_socket(entry, category)
            shadowed: list[str] = []
        else:
            port = entry.port
            chains = entry.chains
            # L6a: the hosts of the kept TCP chains, and the route of the first HTTP chain
            carried = [chain[2] for chain in chains if chain[0] == "tcp"]
            route = next((chain[3] for chain in chains if chain[0] == "http"), None)
            if category == "http" or (
                category == "auto" and entry.address == self.wildcard and entry.http
            ):
                route = str(port)  # L7
            owner = None
            if route == str(port):
                # MSP1: the route of port P is served by the owning egress listener (R1).
                served = self._route_hosts(port, route)
                owner = self.routes[route][1]
                carried = [*carried, *served]
            elif route is not None:
                # R1, MSP3: a sniffed route "<host>:P" belongs to the owner of port P too.
                found = self._route_owner(port, route)
                owner = None if found is None else found.index
            shadowed = [*entry.shadowed, *entry.http]
            dropped = entry.dropped
        hosts = tuple(carried) if len(carried) < 2 else tuple(dict.fromkeys(carried))  # noqa: PLR2004
        kept = set(hosts)
        lost = tuple(h for h in dict.fromkeys(shadowed) if h not in kept) if shadowed else ()
        gone = tuple(h for h in dict.fromkeys(dropped) if h not in kept) if dropped else ()
        return route, owner, hosts, lost, gone

    @staticmethod
    def _unix_socket(
        entry: _Entry, category: str
    ) -> tuple[str | None, int | None, list[str], list[str]]:
        """§5.15: a unix socket's route, owner, hosts and dropped hosts, by its protocol.

        HTTP: one chain matching everything, route named by the socket with the virtual
        hosts of every port (R2). Anything else: a TCP proxy to the first imported service,
        whose chain the others' identical chains collide with (L6a); sniffing adds the
        socket's route for what is recognised as HTTP.
        """
        first, rest = entry.tcp[:1], entry.tcp[1:]
        if category == "http":
            return entry.address, entry.egress_index, entry.http, []
        if category == "auto":
            return entry.address, entry.egress_index, [*first, *entry.http], rest
        return None, None, first, rest
