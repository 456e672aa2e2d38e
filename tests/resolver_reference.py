"""A brute-force resolver: istio-sidecar-semantics.md read literally, with no index and no cache.

It works from the mesh's plain lists only (``mesh.services``, ``mesh.sidecars``,
``mesh.virtual_services``, ``mesh.destination_rules``, ``mesh.config``), scans everything
every time and returns plain data, so the real resolver can be compared with it on
generated meshes. Slow on purpose; obviously correct is the point.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import TYPE_CHECKING, Any

from sidecar_model.hosts import (
    is_wildcard,
    matches,
    parse_egress_host,
    subset_of,
)
from sidecar_model.mesh import IPFamily, ProxyType, Registry
from sidecar_model.mesh._index import most_specific_match
from sidecar_model.model import CaptureMode, IstioEgressListener, Protocol

if TYPE_CHECKING:
    from sidecar_model.mesh import (
        DestinationRuleInfo,
        Mesh,
        MeshService,
        VirtualServiceInfo,
        Workload,
    )
    from sidecar_model.model import Sidecar
    from sidecar_model.resources import Resource

EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
WILDCARD = "0.0.0.0"  # noqa: S104 - an address value, nothing binds here


def _ts(value: dt.datetime | None) -> dt.datetime:
    return value or EPOCH


def _order(s: MeshService) -> tuple[Any, ...]:
    # 4.2.4: creation time, the name attribute (the hostname for ServiceEntries), namespace.
    name = s.name if s.registry is Registry.KUBERNETES else s.hostname
    return (_ts(s.creation_timestamp), name, s.namespace)


# --------------------------------------------------------------------------- §3


def select(mesh: Mesh, workload: Workload) -> Resource[Sidecar] | None:
    if workload.proxy_type is not ProxyType.SIDECAR:
        return None
    ordered = sorted(
        mesh.sidecars,
        key=lambda s: (_ts(s.metadata.creation_timestamp), s.name or "", s.namespace or ""),
    )
    with_selector = [s for s in ordered if s.spec.workload_selector is not None]
    without = [s for s in ordered if s.spec.workload_selector is None]
    for sidecar in [*with_selector, *without]:
        if sidecar.namespace != workload.namespace:
            continue
        selector = sidecar.spec.workload_selector
        if selector is None:
            return sidecar
        if all(workload.labels.get(k) == v for k, v in selector.labels.items()):
            return sidecar
    for sidecar in without:
        if sidecar.namespace == mesh.config.root_namespace:
            return sidecar
    return None


# --------------------------------------------------------------------------- §4


def export_set(mesh: Mesh, service: MeshService) -> frozenset[str]:
    export = service.export_to or frozenset(mesh.config.default_service_export_to)
    capping = mesh.config.service_entry_visibility
    if (
        capping is None
        or not capping.apply_to_sidecars
        or service.registry is not Registry.EXTERNAL
        or export == {"~"}
    ):
        return export
    visibility = capping.visibility_for(mesh.namespace_labels(service.namespace))
    if visibility == "NAMESPACE":
        return frozenset({"."} if export & {"*", ".", service.namespace} else {"~"})
    if visibility == "NONE":
        return frozenset({"~"})
    return export


def visible(mesh: Mesh, service: MeshService, namespace: str) -> bool:
    export = export_set(mesh, service)
    if export == {"~"}:
        return False
    if "*" in export or namespace in export:
        return True
    return "." in export and service.namespace == namespace


def visible_list(mesh: Mesh, namespace: str) -> list[MeshService]:
    ordered = sorted(mesh.services, key=_order)
    mine: list[MeshService] = []
    public: list[MeshService] = []
    for s in ordered:
        export = export_set(mesh, s)
        if "*" in export:
            public.append(s)
        elif "~" in export:
            continue
        elif any((e == "." and s.namespace == namespace) or e == namespace for e in export):
            mine.append(s)
    return mine + public


def visible_vs(mesh: Mesh, namespace: str) -> list[VirtualServiceInfo]:
    def key(v: VirtualServiceInfo) -> tuple[Any, ...]:
        return (_ts(v.creation_timestamp), v.name, v.namespace)

    candidates = sorted(
        (v for v in mesh.virtual_services if v.hosts and "mesh" in (v.gateways or ("mesh",))),
        key=key,
    )
    private = [
        v
        for v in candidates
        if "*" not in v.export_to
        and "~" not in v.export_to
        and v.namespace == namespace
        and namespace in v.export_to
    ]
    exported = [
        v
        for v in candidates
        if "*" not in v.export_to
        and "~" not in v.export_to
        and v.namespace != namespace
        and namespace in v.export_to
    ]
    public = [v for v in candidates if "*" in v.export_to]
    return private + exported + public


# --------------------------------------------------------------------------- §5


class Keys:
    """The host classification of one listener (§5.2), as plain dictionaries."""

    def __init__(self, hosts: tuple[str, ...], namespace: str) -> None:
        self.include: dict[str, list[str]] = {}
        self.exclude: dict[str, list[str]] = {}
        self.all_exact = True
        for text in hosts:
            entry = parse_egress_host(text)
            if entry is None:
                continue
            ns = namespace if entry.namespace == "." else entry.namespace
            self.include.setdefault(ns, [])
            self.exclude.setdefault(ns, [])
            if entry.excluded:
                self.exclude[ns].append(entry.dns_name)
            else:
                self.include[ns].append(entry.dns_name)
                if ns == "*" or is_wildcard(entry.dns_name):
                    self.all_exact = False

    def has(self, ns: str) -> bool:
        return ns in self.include

    def includes(self, ns: str, host: str) -> bool:
        for entry in self.include.get(ns, []):
            if not is_wildcard(entry) and not is_wildcard(host):
                if entry == host:
                    return True
            elif subset_of(host, entry):
                return True
        return False

    def excludes(self, ns: str, host: str) -> bool:
        return any(subset_of(host, x) for x in self.exclude.get(ns, []))

    def vs_matches(self, ns: str, host: str) -> bool:
        for entry in self.include.get(ns, []):
            if not is_wildcard(entry) and not is_wildcard(host):
                if entry == host:
                    return True
            elif matches(host, entry):
                return True
        return False


def port_match(listener: IstioEgressListener) -> int | None:
    port = listener.port
    if port is None or not port.number or port.parsed_protocol is Protocol.HTTP_PROXY:
        return None
    return port.number


def trim(service: MeshService, numbers: set[int] | None) -> tuple[str, str, tuple[Any, ...]] | None:
    ports = tuple(
        (p.name, p.number, p.protocol)
        for p in service.ports
        if numbers is None or p.number in numbers
    )
    return None if not ports else (service.hostname, service.namespace, ports)


def aliases_of(mesh: Mesh, hostname: str) -> list[tuple[str, str]]:
    """(namespace, hostname) of every ExternalName alias that ends at ``hostname`` (§5.4 step 5).

    Chains of ExternalNames are followed by hostname (the last one in the mesh's order
    declaring a hostname wins); a chain that comes back to a name it passed aliases nothing.
    Two ExternalNames cannot share name and namespace in Kubernetes; for hand-made ones
    the last in the mesh's order counts.
    """
    # One entry per (hostname, namespace), the last in the mesh's order, as istiod's map.
    last = {
        (s.hostname, s.namespace): s.alias_for for s in mesh.services if s.resolution == "ALIAS"
    }
    raw = [(h, ns, t) for (h, ns), t in last.items()]

    def follow(name: str) -> str | None:
        targets = [t for h, _, t in raw if h == name and t]
        return targets[-1] if targets else None

    found = []
    for host, ns, target in raw:
        if not target:
            continue
        seen = {host}
        end: str | None = target
        while end is not None and follow(end) is not None:
            if end in seen:
                end = None  # a loop
                break
            seen.add(end)
            end = follow(end)
        if end == hostname:
            found.append((ns, host))
    return sorted(found)


def import_services(  # noqa: C901 - 5.3 to 5.5, transcribed
    mesh: Mesh, listener: IstioEgressListener, namespace: str
) -> list[tuple[MeshService, tuple[Any, ...], tuple[str, ...]]]:
    keys = Keys(listener.hosts, namespace)
    if keys.all_exact:
        order = _order
        found = []
        for ns, hosts in keys.include.items():
            for host in hosts:
                same = [s for s in mesh.services if s.hostname == host and s.namespace == ns]
                same.sort(key=order)
                kube = [s for s in same if s.registry is Registry.KUBERNETES]
                pick = kube[0] if kube else (same[0] if same else None)
                if pick is not None and visible(mesh, pick, namespace) and pick not in found:
                    found.append(pick)
        candidates = sorted(found, key=order)
    else:
        candidates = visible_list(mesh, namespace)
    number = port_match(listener)
    imported = []
    for s in candidates:
        h, q = s.hostname, s.namespace
        if keys.excludes(q, h) or keys.excludes("*", h):
            continue
        if not (keys.includes(q, h) or keys.includes("*", h)):
            continue
        trimmed = trim(s, None if number is None else {number})
        if trimmed is not None:
            key = q if keys.includes(q, h) else "*"
            kept = tuple(a for _, a in aliases_of(mesh, h) if keys.includes(key, a))
            imported.append((s, trimmed[2], kept))
    chosen: dict[str, MeshService] = {}
    for s, _, _ in imported:
        current = chosen.get(s.hostname)
        if (
            current is None
            or s.namespace == namespace
            or (
                mesh.config.unified_sidecar_scope
                and s.registry is Registry.KUBERNETES
                and current.registry is not Registry.KUBERNETES
                and current.namespace != namespace
            )
        ):
            chosen[s.hostname] = s
    return [item for item in imported if chosen[item[0].hostname].namespace == item[0].namespace]


def select_vs(
    mesh: Mesh, listener: IstioEgressListener, namespace: str
) -> list[VirtualServiceInfo]:
    keys = Keys(listener.hosts, namespace)
    result = []
    for vs in visible_vs(mesh, namespace):
        hit = False
        for ns in (vs.namespace, "*"):
            if not keys.has(ns):
                continue
            for host in vs.hosts:
                if (
                    keys.vs_matches(ns, host)
                    and not keys.excludes(vs.namespace, host)
                    and (not keys.excludes("*", host))
                ):
                    hit = True
        if hit and vs not in result:
            result.append(vs)
    return result


def inferred(  # noqa: C901, PLR0912 - 5.7, transcribed
    mesh: Mesh, listener: IstioEgressListener, vss: list[VirtualServiceInfo], namespace: str
) -> list[tuple[MeshService, tuple[Any, ...]]]:
    out = []
    number = port_match(listener)
    for vs in vss:
        ports: dict[str, set[int]] = {}
        for host, port in vs.destinations_for(namespace):
            ports.setdefault(host, set()).add(port)
        for host, wanted in ports.items():
            holders: dict[str, MeshService] = {}
            for s in sorted(mesh.services, key=_order):  # 4.2.5
                if s.hostname != host:
                    continue
                kept = holders.get(s.namespace)
                if kept is None or (
                    s.registry is Registry.KUBERNETES and kept.registry is not Registry.KUBERNETES
                ):
                    holders[s.namespace] = s
            service = holders.get(namespace)
            if service is None:
                options = [s for s in holders.values() if visible(mesh, s, namespace)]
                if not options:
                    continue
                kube = [s for s in options if s.registry is Registry.KUBERNETES]
                if not mesh.config.pick_best_service_namespace:
                    service = min(options, key=lambda s: s.namespace)
                else:
                    service = min(kube or options, key=_order)
            if number is not None:
                keep: set[int] | None = {number}
            elif 0 in wanted:
                keep = None
            else:
                keep = wanted
            trimmed = trim(service, keep)
            if trimmed is not None:
                out.append((service, trimmed[2]))
    return out


def union(
    mesh: Mesh, items: list[tuple[MeshService, tuple[Any, ...]]]
) -> dict[str, tuple[MeshService, tuple[Any, ...]]]:
    del mesh
    result: dict[str, tuple[MeshService, tuple[Any, ...]]] = {}
    for s, ports in items:
        if s.hostname not in result:
            result[s.hostname] = (s, ports)
            continue
        e, e_ports = result[s.hostname]
        e_kube = e.registry is Registry.KUBERNETES
        s_kube = s.registry is Registry.KUBERNETES
        if e_kube and not s_kube:
            continue
        if s_kube and not e_kube:
            result[s.hostname] = (s, ports)
            continue
        if e_ports == ports:
            continue
        same = (e.namespace, e.resolution, e.registry, e.labels, e.selector, e.export_to) == (
            s.namespace,
            s.resolution,
            s.registry,
            s.labels,
            s.selector,
            s.export_to,
        )
        if same:
            have = {p[1] for p in e_ports}
            result[s.hostname] = (e, e_ports + tuple(p for p in ports if p[1] not in have))
    return result


def scope(mesh: Mesh, workload: Workload) -> dict[str, Any]:
    """Imports per listener, VSs per listener and the union, as plain data."""
    sidecar = select(mesh, workload)
    namespace = workload.namespace
    listeners = (sidecar.spec.egress if sidecar is not None else ()) or (
        IstioEgressListener(hosts=("*/*",)),
    )
    egress = []
    pairs = []
    vs_lists = []
    items: list[tuple[MeshService, tuple[Any, ...]]] = []
    for listener in listeners:
        imported = import_services(mesh, listener, namespace)
        pairs.append(imported)
        vss = select_vs(mesh, listener, namespace)
        vs_lists.append(vss)
        egress.append(
            {
                "services": [(s.hostname, s.namespace, p, a) for s, p, a in imported],
                "virtual_services": [(v.namespace, v.name) for v in vss],
            }
        )
        items.extend((s, p) for s, p, _ in imported)
        items.extend(inferred(mesh, listener, vss, namespace))
    merged = union(mesh, items)
    return {
        "sidecar": None if sidecar is None else (sidecar.namespace, sidecar.name),
        "egress": egress,
        "union": {h: (s.namespace, p) for h, (s, p) in merged.items()},
        "listeners": listeners_of(mesh, workload, listeners, pairs, vs_lists),
    }


# --------------------------------------------------------------------------- §4.4


def destination_rules(  # noqa: C901 - 4.4.3 and 4.4.4, transcribed
    mesh: Mesh, proxy_ns: str, hostname: str, service_ns: str
) -> list[tuple[str, ...]]:
    """The names of the rules in each merged entry 4.4.4 returns."""
    root = mesh.config.root_namespace

    def pool(members: list[DestinationRuleInfo]) -> dict[str, list[list[DestinationRuleInfo]]]:
        entries: dict[str, list[list[DestinationRuleInfo]]] = {}
        for dr in members:
            if dr.host not in entries:
                entries[dr.host] = [[dr]]
                continue
            separate = True
            for entry in entries[dr.host]:
                head = entry[0]
                if head.export_to == dr.export_to:
                    separate = False
                elif head.export_to and dr.export_to >= head.export_to:
                    separate = True
                else:
                    separate = True
                    continue
                if (
                    head.selector is not None
                    and dr.selector is not None
                    and (head.selector != dr.selector)
                ):
                    separate = True
                    continue
                if (head.selector is None) == (dr.selector is None):
                    separate = False
                entry.append(dr)
            if separate:
                entries[dr.host].append([dr])
        return entries

    default_private = "." in mesh.config.default_destination_rule_export_to

    def local(ns: str) -> list[DestinationRuleInfo]:
        return [
            d
            for d in mesh.destination_rules
            if d.namespace == ns and (not d.export_to or d.export_to & {"*", ".", ns})
        ]

    def private_only(d: DestinationRuleInfo) -> bool:
        return (not d.export_to and default_private) or (
            len(d.export_to) == 1 and next(iter(d.export_to)) in {".", d.namespace}
        )

    def lookup(
        entries: dict[str, list[list[DestinationRuleInfo]]],
    ) -> list[list[DestinationRuleInfo]]:
        exact = {k: v for k, v in entries.items() if not is_wildcard(k)}
        wild = {k: v for k, v in entries.items() if is_wildcard(k)}
        key = most_specific_match(hostname, exact, wild)
        return [] if key is None else entries[key]

    if proxy_ns != root:
        found = lookup(pool(local(proxy_ns)))
    else:
        found = lookup(
            pool([d for d in mesh.destination_rules if d.namespace == root and private_only(d)])
        )
    if found:
        return [tuple(d.name for d in e) for e in found]
    for ns in (service_ns, root):
        exported = [d for d in mesh.destination_rules if d.namespace == ns and not private_only(d)]
        found = [
            e
            for e in lookup(pool(exported))
            if not e[0].export_to or e[0].export_to & {"*", proxy_ns}
        ]
        if found:
            return [tuple(d.name for d in e) for e in found]
    return []


# --------------------------------------------------------------------------- §5.11


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def listeners_of(  # noqa: C901, PLR0912, PLR0915 - L1..L7, transcribed
    mesh: Mesh,
    workload: Workload,
    listeners: tuple[IstioEgressListener, ...],
    egress: list[list[tuple[MeshService, tuple[Any, ...], tuple[str, ...]]]],
    virtual_services: list[list[VirtualServiceInfo]],
) -> list[tuple[str, int, str, tuple[str, ...]]]:
    """(address, port, protocol, hosts) per outbound listener: L1..L7 with MSP1..MSP6."""
    filter_chains = mesh.config.headless_filter_chain_listener
    # L2, L4: the proxy's wildcard and loopback (IPv4 first on dual-stack proxies).
    ipv6_only = workload.ip_family is IPFamily.IPV6
    wildcard = "::" if ipv6_only else WILDCARD
    loopback = "::1" if ipv6_only else "127.0.0.1"
    reserved = {15021, 15090, 15001, 15006}
    entries: dict[tuple[str, int], dict[str, Any]] = {}
    order: list[tuple[str, int]] = []

    def category(p: Protocol) -> str:
        return "http" if p.is_http else "auto" if p is Protocol.UNSUPPORTED else "tcp"

    def chains(s: MeshService, address: str, proto: Protocol, cidr: str | None) -> list[Any]:
        """L6a: (kind, match, host) of each chain a service port brings; match = (transport,
        ALPNs, SNI names, CIDRs)."""
        alpn: tuple[Any, ...] = ("raw_buffer", ("http/1.1", "h2c"), frozenset(), frozenset())
        if proto.is_http:
            plain = address != wildcard or proto is Protocol.HTTP_PROXY
            return [("http", ("", (), frozenset(), frozenset()) if plain else alpn, s.hostname)]
        own = s.address if "/" in s.address else cidr
        cidrs = frozenset({str(ipaddress.ip_network(own, strict=False))}) if own else frozenset()
        if proto in {Protocol.TLS, Protocol.HTTPS}:
            sni = "/" in s.address or (s.address == WILDCARD and address == wildcard)
            names = (
                frozenset({s.hostname, *(a.hostname for a in s.aliases)}) if sni else frozenset()
            )
            return [("tcp", ("tls" if names else "", (), names, cidrs), s.hostname)]
        tcp: tuple[Any, ...] = ("tcp", ("", (), frozenset(), cidrs), s.hostname)
        return [tcp, ("http", alpn, s.hostname)] if proto is Protocol.UNSUPPORTED else [tcp]

    def merge(entry: dict[str, Any], incoming: list[Any]) -> None:
        taken = [c[1] for c in entry["chains"]]
        entry["chains"] += [c for c in incoming if c[1] not in taken]

    def add(  # noqa: PLR0913, PLR0917
        address: str,
        port: int,
        proto: Protocol,
        s: MeshService,
        index: int,
        cidr: str | None = None,
    ) -> None:
        host = s.hostname
        incoming = chains(s, address, proto, cidr)
        key = (address, port)
        entry = entries.get(key)
        if entry is None:
            recorded = (
                Protocol.UNSUPPORTED
                if proto.is_http and proto is not Protocol.HTTP_PROXY and address == wildcard
                else proto
            )
            entries[key] = {
                "proto": recorded,
                "locked": False,
                "tcp": [],
                "http": [],
                "index": index,
                "chains": incoming,
            }
            entries[key]["http" if proto.is_http else "tcp"].append(host)
            order.append(key)
            return
        if entry["locked"]:
            return
        if proto is Protocol.HTTP_PROXY:
            entries[key] = {
                "proto": proto,
                "locked": False,
                "tcp": [],
                "http": [host],
                "index": index,
                "chains": incoming,
            }
            return
        old = entry["proto"]
        special = {Protocol.MONGO, Protocol.MYSQL}
        if (proto in special or old in special) and proto is not old:
            return
        new_c, old_c = category(proto), category(old)
        if new_c == "http":
            if old_c == "tcp":
                entry["proto"] = Protocol.UNSUPPORTED
                merge(entry, incoming)
            entry["http"].append(host)
        elif new_c == "tcp":
            if old_c == "http":
                entry["proto"] = Protocol.UNSUPPORTED
            entry["tcp"].append(host)
            merge(entry, incoming)
        elif old_c == "http":
            entries[key] = {
                "proto": Protocol.UNSUPPORTED,
                "locked": False,
                "tcp": [host],
                "http": [],
                "index": index,
                "chains": incoming,
            }
        else:
            entry["proto"] = Protocol.UNSUPPORTED
            entry["tcp"].append(host)
            merge(entry, incoming if old_c == "tcp" else [c for c in incoming if c[0] == "tcp"])

    def address_for(bind: str | None, binds: bool, proto: Protocol, s: MeshService) -> str:  # noqa: FBT001
        if bind:
            return bind
        if binds:
            return loopback
        if proto.is_http or "/" in s.address or s.address == WILDCARD:
            return wildcard  # HTTP, a CIDR, or no address of its own
        return s.address

    def bindable(bind: str | None, binds: bool, proto: Protocol, port: int) -> bool:  # noqa: FBT001
        # L3, CanBindToPort: the bind decides, not the address a service ends up on.
        if binds and 0 < port < 1024 and workload.unprivileged:
            return False
        if port not in reserved:
            return True
        if bind:
            return bind != wildcard
        return binds or not proto.is_http

    for index, (listener, services) in enumerate(zip(listeners, egress, strict=True)):
        binds = (
            workload.interception_mode == "NONE"
            or listener.capture_mode is CaptureMode.NONE
            or (listener.bind or "").startswith("unix://")
        )
        if listener.port is not None:
            proto = listener.port.parsed_protocol
            number = listener.port.number or 0
            if number == 0:
                continue  # UDS: compared separately
            if not bindable(listener.bind, binds, proto, number):
                continue  # L3: the whole listener is skipped
            for s, _, _ in services:
                if s.resolution == "ALIAS":
                    continue  # L4: alias services produce nothing
                add(address_for(listener.bind, binds, proto, s), number, proto, s, index)
            continue
        for entry in entries.values():
            entry["locked"] = True
        for s, ports, _ in services:
            if s.resolution == "ALIAS":
                continue
            for _name, number, proto in ports:
                if proto is Protocol.UDP:
                    continue
                if (
                    not listener.bind
                    and not binds
                    and s.resolution == "NONE"
                    and s.address == WILDCARD
                    and not proto.is_http
                    and (s.registry is Registry.KUBERNETES or s.endpoints or s.selector)
                ):
                    # L5 special case (b): per endpoint IP, never the proxy's own.
                    for endpoint in s.endpoints:
                        if endpoint == workload.ip or not is_ip(endpoint):
                            continue
                        if filter_chains and proto.is_tcp:
                            add(wildcard, number, proto, s, index, endpoint)
                        else:
                            add(endpoint, number, proto, s, index, endpoint)
                    continue
                if bindable(listener.bind, binds, proto, number):
                    add(
                        address_for(listener.bind, binds, proto, s),
                        number,
                        proto,
                        s,
                        index,
                    )

    def owner_hosts(port: int) -> list[str]:
        for listener, imported, vss in zip(listeners, egress, virtual_services, strict=True):
            if listener.port is not None and listener.port.number != port:
                continue
            # R2: HTTP_PROXY routes take every port (P = 0); R4: only HTTP or sniffed ports.
            proxy = (
                listener.port is not None and listener.port.parsed_protocol is Protocol.HTTP_PROXY
            )
            served = [
                item
                for item in imported
                if any(
                    (proxy or p[1] == port) and (p[2].is_http or p[2] is Protocol.UNSUPPORTED)
                    for p in item[1]
                )
            ]
            # An alias gets no virtual host; the service it points at carries its name.
            hosts = [
                name
                for s, _ports, aliases in served
                if s.resolution != "ALIAS"
                for name in (s.hostname, *aliases)
            ]
            # R3: a VS naming a service with an HTTP or sniffed port P brings its hosts that
            # name no service with port P; on port 80 a VS naming none brings every host.
            having = [
                s.hostname for s, ports, _ in imported if proxy or any(p[1] == port for p in ports)
            ]
            web = {s.hostname for s, _, _ in served}

            def names(h: str, hostname: str) -> bool:
                return h == hostname or (h.startswith("*") and hostname.endswith(h[1:]))

            for v in vss:
                known = [h for h in v.hosts if any(names(h, n) for n in having)]
                if any(names(h, n) for h in known for n in web):
                    hosts += [h for h in v.hosts if h not in known and h not in hosts]
                elif port == 80 and not proxy:
                    hosts += [h for h in v.hosts if h not in hosts]
            return hosts
        return []

    out = []
    for key in order:
        entry = entries[key]
        address, port = key
        # L6a: only the kept TCP chains carry their host
        hosts = [c[2] for c in entry["chains"] if c[0] == "tcp"]
        if (
            entry["http"]
            or entry["proto"].is_http
            or (entry["proto"] is Protocol.UNSUPPORTED and address == wildcard)
        ):
            hosts += owner_hosts(port)
        out.append((address, port, entry["proto"].value, tuple(dict.fromkeys(hosts))))
    return out
