"""An independent reference: what istiod does, from the raw manifests, by brute force.

It reads the same YAML text the library loads, with ``yaml.safe_load_all`` and nothing of
``sidecar_model``: Kubernetes Services, ServiceEntries, Sidecars, VirtualServices, Pods and
the ``istio`` ConfigMap's MeshConfig. From them it builds its own view (exportTo defaults and
the annotation, ServiceEntry hosts, Service hostnames, creation-time ordering, aliases) and
answers selection (§3), visibility (§4), imports (§5.2 to §5.8), outbound listeners with
most-specific-port (§5.11 to §5.15) and inbound listeners (§6) as plain data: tuples,
strings and dictionaries. Every host test is a direct transcription of §5.1 applied to
every pair; every lookup is a scan. Slow on purpose; obviously correct is the point.

Areas where the library is known to differ from Istio are decided by ``switches`` (see
:mod:`tests.oracle.switches`): the reference follows Istio when the switch is on, and the
generator does not produce inputs that reach the area while it is off.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from typing import Any

import yaml

#: libyaml's safe loader when PyYAML has it (the same documents, several times faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)
ANY4 = "0.0.0.0"  # noqa: S104 - an address value, nothing binds here
ALIAS = "ALIAS"
#: Envoy's status and Prometheus ports (L3, §6.4) and the mesh's default proxy ports.
STATUS_PORTS = frozenset({15021, 15090})
PROXY_PORTS = frozenset({15001, 15006})

# --------------------------------------------------------------------------- §1.10 protocols

_CANONICAL = {
    "tcp": "TCP",
    "udp": "UDP",
    "grpc": "GRPC",
    "grpc-web": "GRPC-Web",
    "http": "HTTP",
    "http_proxy": "HTTP_PROXY",
    "http2": "HTTP2",
    "https": "HTTPS",
    "tls": "TLS",
    "mongo": "Mongo",
    "redis": "Redis",
    "mysql": "MySQL",
}
AUTO = "UnsupportedProtocol"
HTTP_FAMILY = frozenset({"HTTP", "HTTP2", "HTTP_PROXY", "GRPC", "GRPC-Web"})
TCP_FAMILY = frozenset({"TCP", "HTTPS", "TLS", "Mongo", "Redis", "MySQL"})


def parse_protocol(text: str | None) -> str:
    """§1.10.1: case-insensitive, anything else (and empty) is auto-detect."""
    return _CANONICAL.get((text or "").lower(), AUTO)


def category(protocol: str) -> str:
    """L6: "http", "auto" (sniffed) or "tcp"."""
    if protocol in HTTP_FAMILY:
        return "http"
    return "auto" if protocol == AUTO else "tcp"


def kubernetes_protocol(port: dict[str, Any], *, istio_rules: bool) -> str:
    """§1.10.4 for a Kubernetes Service port; ``istio_rules`` adds steps 3, 4 and 6."""
    if port.get("protocol") == "UDP":
        return "UDP"
    app = port.get("appProtocol")
    text = app if app is not None else port.get("name") or ""
    if istio_rules:
        special = {
            "kubernetes.io/h2c": "HTTP2",
            "kubernetes.io/ws": "HTTP",
            "kubernetes.io/wss": "HTTPS",
        }
        if app in special:
            return special[app]
        if text[:8].lower() == "grpc-web":
            return "GRPC-Web"
        found = parse_protocol(text.split("-")[0])
        if found == AUTO and port.get("port") in {25, 53, 3306, 27017}:
            return "TCP"
        return found
    return parse_protocol(text.split("-")[0])


# --------------------------------------------------------------------------- §5.1 host primitives


def wild(host: str) -> bool:
    """§5.1.1."""
    return host.startswith("*")


def subset_of(n: str, o: str) -> bool:
    """§5.1.2: n is covered by o."""
    if not wild(n) and not wild(o):
        return n == o
    if not wild(n):
        return n.endswith(o[1:])
    if not wild(o):
        return False
    return len(n) >= len(o) and n[1:].endswith(o[1:])


def overlaps(n: str, o: str) -> bool:
    """§5.1.3 (symmetric)."""
    if not wild(n) and not wild(o):
        return n == o
    if wild(n) and wild(o):
        longer, shorter = (n, o) if len(n) >= len(o) else (o, n)
        return longer[1:].endswith(shorter[1:])
    exact, pattern = (o, n) if wild(n) else (n, o)
    return exact.endswith(pattern[1:])


def more_specific_key(host: str) -> tuple[bool, int, str]:
    """§5.1.4 as a sort key: exact before wildcard, then longer, then A to Z."""
    return (wild(host), -len(host), host)


def most_specific_host_match(needle: str, exact: set[str], wildcards: set[str]) -> str | None:
    """§5.1.5: the exact key, the verbatim wildcard key, else the most specific covering one."""
    if not wild(needle) and needle in exact:
        return needle
    if wild(needle) and needle in wildcards:
        return needle
    rest = needle[1:] if wild(needle) else needle
    covering = [k for k in wildcards if rest.endswith(k[1:])]
    return min(covering, key=more_specific_key) if covering else None


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def short_to_fqdn(name: str, namespace: str, domain: str) -> str:
    """§4.3.4: a name without a dot (not ``*``, not an IP) gets the namespace and domain."""
    if "." in name or name == "*" or is_ip(name) or not name:
        return name
    return f"{name}.{namespace}.svc.{domain}"


# --------------------------------------------------------------------------- the raw view


@dataclass(eq=False)
class Svc:
    """One registry service (a Kubernetes Service, or one host and address of a ServiceEntry)."""

    host: str
    ns: str
    sort_name: str
    kube: bool
    resolution: str
    created: dt.datetime
    address: str
    ports: tuple[tuple[str, int, str, int | None], ...]
    export: frozenset[str] | None
    labels: tuple[tuple[str, str], ...]
    selector: tuple[tuple[str, str], ...] | None
    endpoints: tuple[str, ...] = ()
    alias_for: str | None = None
    aliases: tuple[tuple[str, str], ...] = ()  # (namespace, hostname)
    seq: int = 0

    def key(self) -> tuple[Any, ...]:
        return (self.created, self.sort_name, self.ns)


@dataclass(eq=False)
class Vs:
    ns: str
    name: str
    created: dt.datetime
    hosts: tuple[str, ...]
    gateways: tuple[str, ...]
    export: frozenset[str]
    #: per HTTP route: (sourceNamespace set, destination (host, port) pairs)
    http: list[tuple[frozenset[str], list[tuple[str, int]]]] = field(default_factory=list)
    l4: list[tuple[str, int]] = field(default_factory=list)


@dataclass(eq=False)
class Car:
    """A Sidecar as written."""

    ns: str
    name: str
    created: dt.datetime
    selector: dict[str, str] | None
    egress: list[dict[str, Any]]
    ingress: list[dict[str, Any]]
    has_pool: bool
    policy: dict[str, Any] | None = None  # outboundTrafficPolicy as written


@dataclass(eq=False)
class Pod:
    ns: str
    name: str
    labels: dict[str, str]
    kind: str  # sidecar, router, waypoint
    interception: str
    ip: str | None
    family: str  # IPv4, IPv6, Dual
    #: (port name, Kubernetes protocol) -> the first containerPort declaring it (§4.2.6).
    container_ports: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass
class Config:
    root: str = "istio-system"
    service_export: tuple[str, ...] = ("*",)
    vs_export: tuple[str, ...] = ("*",)
    domain: str = "cluster.local"
    unified: bool = True
    pick_best: bool = True
    filter_chains: bool = False
    inbound_merge: bool = False
    localhost_inbound: bool = False
    proxy_ports: frozenset[int] = PROXY_PORTS
    se_visibility: dict[str, Any] | None = None
    outbound_mode: str | None = "ALLOW_ANY"  # MeshConfig's, None when set without a mode


@dataclass
class Cluster:
    config: Config
    services: list[Svc]
    vss: list[Vs]
    sidecars: list[Car]
    pods: list[Pod]
    namespace_labels: dict[str, dict[str, str]]
    switches: frozenset[str]


def _created(meta: dict[str, Any]) -> dt.datetime:
    value = meta.get("creationTimestamp")
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return EPOCH


def _config(raw: dict[str, Any]) -> Config:
    def flag(name: str, *, default: bool) -> bool:
        return bool(raw.get(name, default))

    policy = (raw.get("inboundTrafficPolicy") or {}).get("mode")
    return Config(
        root=raw.get("rootNamespace") or "istio-system",
        service_export=tuple(raw.get("defaultServiceExportTo") or ("*",)),
        vs_export=tuple(raw.get("defaultVirtualServiceExportTo") or ("*",)),
        domain=raw.get("clusterDomain") or "cluster.local",
        unified=flag("PILOT_UNIFIED_SIDECAR_SCOPE", default=True),
        pick_best=flag("PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE", default=True),
        filter_chains=flag("PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER", default=False),
        inbound_merge=flag("PILOT_ALLOW_SIDECAR_SERVICE_INBOUND_LISTENER_MERGE", default=False),
        localhost_inbound=policy == "LOCALHOST",
        proxy_ports=frozenset(
            {raw.get("proxyListenPort") or 15001, raw.get("proxyInboundListenPort") or 15006}
        ),
        se_visibility=raw.get("serviceEntryVisibility"),
        outbound_mode=(raw.get("outboundTrafficPolicy") or {}).get("mode")
        if "outboundTrafficPolicy" in raw
        else "ALLOW_ANY",
    )


def build(text: str, switches: frozenset[str]) -> Cluster:  # noqa: C901 - one branch per kind
    """Read the manifests in ``text`` into the reference's own view."""
    docs = [d for d in yaml.load_all(text, Loader=_LOADER) if d]
    config = Config()
    for d in docs:
        if d.get("kind") == "ConfigMap" and d["metadata"].get("name") == "istio":
            mesh = yaml.load(d["data"]["mesh"], Loader=_LOADER)  # noqa: S506 - a safe loader
            config = _config(mesh or {})
    services: list[Svc] = []
    vs_docs: list[dict[str, Any]] = []
    sidecars: list[Car] = []
    pods: list[Pod] = []
    labels: dict[str, dict[str, str]] = {}
    for d in docs:
        kind, meta, spec = d.get("kind"), d.get("metadata") or {}, d.get("spec") or {}
        ns = meta.get("namespace") or "default"
        if kind == "Service":
            services.append(_kube_service(meta, spec, ns, config, switches))
        elif kind == "ServiceEntry":
            services.extend(_service_entry(meta, spec, ns, config, switches))
        elif kind == "VirtualService":
            vs_docs.append(d)
        elif kind == "Sidecar":
            sidecars.append(
                Car(
                    ns=ns,
                    name=meta["name"],
                    created=_created(meta),
                    selector=None
                    if spec.get("workloadSelector") is None
                    else dict(spec["workloadSelector"].get("labels") or {}),
                    egress=list(spec.get("egress") or ()),
                    ingress=list(spec.get("ingress") or ()),
                    has_pool=spec.get("inboundConnectionPool") is not None,
                    policy=spec.get("outboundTrafficPolicy"),
                )
            )
        elif kind == "Pod":
            pods.append(_pod(d, ns, switches))
        elif kind == "Namespace":
            labels[meta["name"]] = dict(meta.get("labels") or {})
    for i, s in enumerate(services):
        s.seq = i
    _with_endpoints(services, pods)
    _resolve_aliases(services)
    return Cluster(
        config,
        services,
        _virtual_services(vs_docs, config),
        sidecars,
        pods,
        labels,
        switches,
    )


def _kube_service(
    meta: dict[str, Any], spec: dict[str, Any], ns: str, config: Config, switches: frozenset[str]
) -> Svc:
    annotation = (meta.get("annotations") or {}).get("networking.istio.io/exportTo")
    if annotation is None or annotation == "":
        export = None
    elif not annotation.strip() and "blank_export_annotation" not in switches:
        export = None  # today's library: whitespace counts as unset
    else:
        export = frozenset(item.strip() for item in annotation.split(","))  # §4.2.1
    cluster_ip = spec.get("clusterIP")
    external = spec.get("type") == "ExternalName" and bool(spec.get("externalName"))
    if cluster_ip == "None":
        headless = True
    elif not cluster_ip:
        # §4.2.6: an omitted clusterIP gets a VIP when applied (not yet known here).
        headless = "omitted_cluster_ip" not in switches and not external
    else:
        headless = False
    alias = external and cluster_ip != "None"
    resolution = ALIAS if alias else "NONE" if headless else "STATIC"
    if headless or external:
        address = ANY4
    elif cluster_ip:
        address = str(cluster_ip)
    else:
        address = f"<VIP of {meta['name']}.{ns}>"  # a VIP of its own, not yet known
    istio_rules = "kubernetes_port_protocol" in switches
    ports = []
    for p in spec.get("ports") or ():
        target = p.get("targetPort")
        if isinstance(target, str):
            target = (target, p.get("protocol") or "TCP")  # resolved per pod (§4.2.6)
        ports.append(
            (
                p.get("name") or "",
                p.get("port") or 0,
                kubernetes_protocol(p, istio_rules=istio_rules),
                target,
            )
        )
    name = meta["name"]
    return Svc(
        host=f"{name}.{ns}.svc.{config.domain}",
        ns=ns,
        sort_name=name,
        kube=True,
        resolution=resolution,
        created=_created(meta),
        address=address,
        ports=tuple(ports),
        export=export,
        labels=tuple(sorted((meta.get("labels") or {}).items())),
        selector=tuple(sorted(spec["selector"].items())) if spec.get("selector") else None,
        alias_for=spec.get("externalName") if external else None,
    )


def _service_entry(
    meta: dict[str, Any], spec: dict[str, Any], ns: str, config: Config, switches: frozenset[str]
) -> list[Svc]:
    ports = tuple(
        (
            p.get("name") or "",
            p.get("number") or 0,
            parse_protocol(p.get("protocol")),
            p.get("targetPort"),
        )
        for p in spec.get("ports") or ()
    )
    addresses = []
    for a in spec.get("addresses") or ():
        try:
            ipaddress.ip_network(a, strict=False)
        except ValueError:
            continue
        addresses.append(a.removesuffix("/32").removesuffix("/128"))
    selector = (spec.get("workloadSelector") or {}).get("labels")
    out: list[Svc] = []
    for host in spec.get("hosts") or ():
        # §0.4: ServiceEntry hosts are used verbatim (today's library expands short names).
        name = (
            host
            if "service_entry_short_hosts" in switches
            else short_to_fqdn(host, ns, config.domain)
        )
        out.extend(
            Svc(
                host=name,
                ns=ns,
                sort_name=name,  # §4.2.4: the hostname is a ServiceEntry service's name
                kube=False,
                resolution=spec.get("resolution") or "NONE",
                created=_created(meta),
                address=address,
                ports=ports,
                export=frozenset(spec["exportTo"]) if spec.get("exportTo") else None,
                labels=tuple(sorted((meta.get("labels") or {}).items())),
                selector=tuple(sorted(selector.items())) if selector else None,
                endpoints=tuple(
                    e["address"] for e in spec.get("endpoints") or () if e.get("address")
                ),
            )
            for address in addresses or [ANY4]
        )
    return out


def _pod(d: dict[str, Any], ns: str, switches: frozenset[str]) -> Pod:
    meta = d["metadata"]
    labels = dict(meta.get("labels") or {})
    annotations = meta.get("annotations") or {}
    kind = "sidecar"
    templates = [t.strip() for t in annotations.get("inject.istio.io/templates", "").split(",")]
    if labels.get("gateway.istio.io/managed") == "istio.io-mesh-controller":
        kind = "waypoint"
    elif "gateway_detection" in switches and (
        "gateway" in templates
        or labels.get("gateway.istio.io/managed") == "istio.io-gateway-controller"
    ):
        kind = "router"  # §3.6.1
    status = d.get("status") or {}
    ips = [e["ip"] for e in status.get("podIPs") or () if e.get("ip")] or (
        [status["podIP"]] if status.get("podIP") else []
    )
    versions = {ipaddress.ip_address(ip).version for ip in ips}
    family = "IPv6" if versions == {6} else "Dual" if versions == {4, 6} else "IPv4"
    # §4.2.6 (FindPort): the containers, then the init containers that run all along
    # (restartPolicy Always); the first port with a name and protocol wins.
    pod_spec = d.get("spec") or {}
    running = list(pod_spec.get("containers") or ()) + [
        c for c in pod_spec.get("initContainers") or () if c.get("restartPolicy") == "Always"
    ]
    container_ports: dict[tuple[str, str], int] = {}
    for c in running:
        for p in c.get("ports") or ():
            if p.get("name"):
                container_ports.setdefault(
                    (p["name"], p.get("protocol") or "TCP"), p["containerPort"]
                )
    return Pod(
        ns=ns,
        name=meta["name"],
        labels=labels,
        kind=kind,
        interception=annotations.get("sidecar.istio.io/interceptionMode", "REDIRECT"),
        ip=status.get("podIP") or None,
        family=family,
        container_ports=container_ports,
    )


def _with_endpoints(services: list[Svc], pods: list[Pod]) -> None:
    """Passthrough services with a selector list the IPs of the pods it picks (L5)."""
    for s in services:
        if s.resolution != "NONE" or s.address != ANY4 or not s.selector:
            continue
        found = [
            p.ip
            for p in pods
            if p.ns == s.ns and p.ip and all(p.labels.get(k) == v for k, v in s.selector)
        ]
        extra = [ip for ip in dict.fromkeys(found) if ip not in s.endpoints]
        s.endpoints = (*s.endpoints, *extra)


def _resolve_aliases(services: list[Svc]) -> None:
    """§5.4 step 5: ExternalName chains followed by hostname; loops alias nothing."""
    ordered = sorted(services, key=Svc.key)
    last: dict[tuple[str, str], str] = {}
    for s in ordered:
        if s.resolution == ALIAS and s.alias_for:
            last[(s.host, s.ns)] = s.alias_for
    target_of: dict[str, str] = {}
    for (host, _), target in last.items():
        target_of[host] = target
    found: dict[str, list[tuple[str, str]]] = {}
    for (host, ns), target in last.items():
        seen = {host, target}
        end = target
        looped = False
        while end in target_of:
            following = target_of[end]
            if following in seen:
                looped = True
                break
            seen.add(following)
            end = following
        if not looped:
            found.setdefault(end, []).append((ns, host))
    for s in services:
        if s.host in found:
            s.aliases = tuple(sorted(found[s.host]))


def _conflicts(root_match: dict[str, Any], match: dict[str, Any]) -> bool:
    """§4.3.5, for the fields the generator writes: the root names a sourceNamespace and the
    delegate's match does not name the same one."""
    wanted = root_match.get("sourceNamespace")
    return bool(wanted) and match.get("sourceNamespace") != wanted


def _merged_route(root: dict[str, Any], child: dict[str, Any]) -> dict[str, Any] | None:
    """§4.3.5: delegate route ``child`` merged into root route ``root``, or None if dropped."""
    root_matches, child_matches = root.get("match") or [], child.get("match") or []
    if not root_matches:
        matches = child_matches
    elif not child_matches:
        matches = root_matches
    else:
        if any(all(_conflicts(r, m) for r in root_matches) for m in child_matches):
            return None
        matches = [
            {**r, **{k: v for k, v in m.items() if v}}
            for r in root_matches
            for m in child_matches
            if not _conflicts(r, m)
        ]
    return {**child, "match": matches}


def _virtual_services(  # noqa: C901 - §4.3.1 to §4.3.5, transcribed
    docs: list[dict[str, Any]], config: Config
) -> list[Vs]:
    domain = config.domain
    by_name = {
        ((d["metadata"].get("namespace") or "default"), d["metadata"]["name"]): d for d in docs
    }

    def destinations(routes: list[dict[str, Any]], ns: str) -> list[tuple[str, int]]:
        out = []
        for r in routes or ():
            dest = r.get("destination")
            if dest is not None:
                out.append(
                    (
                        short_to_fqdn(dest["host"], ns, domain),
                        (dest.get("port") or {}).get("number") or 0,
                    )
                )
        return out

    def http_route(route: dict[str, Any], ns: str) -> tuple[frozenset[str], list[tuple[str, int]]]:
        sources = frozenset(
            m["sourceNamespace"] for m in route.get("match") or () if m.get("sourceNamespace")
        )
        pairs = destinations(route.get("route") or [], ns)
        for mirror in [
            route.get("mirror"),
            *(m.get("destination") for m in route.get("mirrors") or ()),
        ]:
            if mirror is not None:
                pairs.append(
                    (
                        short_to_fqdn(mirror["host"], ns, domain),
                        (mirror.get("port") or {}).get("number") or 0,
                    )
                )
        return sources, pairs

    out = []
    for d in docs:
        meta, spec = d["metadata"], d.get("spec") or {}
        ns = meta.get("namespace") or "default"
        declared = spec.get("exportTo") or config.vs_export
        vs = Vs(
            ns=ns,
            name=meta["name"],
            created=_created(meta),
            hosts=tuple(short_to_fqdn(h, ns, domain) for h in spec.get("hosts") or ()),
            gateways=tuple(spec.get("gateways") or ()),
            export=frozenset(ns if e == "." else e for e in declared),  # §4.3.1
        )
        for route in spec.get("http") or ():
            delegate = route.get("delegate")
            if delegate is None:
                vs.http.append(http_route(route, ns))
                continue
            target_ns = delegate.get("namespace") or ns
            target = by_name.get((target_ns, delegate["name"]))
            if target is None or (target.get("spec") or {}).get("hosts"):
                continue  # §4.3.5: only host-less VirtualServices are delegates
            t_declared = target["spec"].get("exportTo") or config.vs_export
            t_export = {target_ns if e == "." else e for e in t_declared}
            if "*" not in t_export and ns not in t_export:
                continue
            for child in target["spec"].get("http") or ():
                merged = None if child.get("delegate") else _merged_route(route, child)
                if merged is None:
                    continue
                sources = frozenset(
                    m["sourceNamespace"] for m in merged["match"] if m.get("sourceNamespace")
                )
                pairs = destinations(child.get("route") or [], target_ns)
                for key in ("mirror", "mirrors"):
                    # The delegate's own mirrors, else those the root lends (§4.3.5), each
                    # with short names expanded where it was written.
                    owner, owner_ns = (child, target_ns) if child.get(key) else (route, ns)
                    pairs += http_route({key: owner.get(key)}, owner_ns)[1]
                vs.http.append((sources, pairs))
        for route in [*(spec.get("tcp") or ()), *(spec.get("tls") or ())]:
            vs.l4.extend(destinations(route.get("route") or [], ns))
        out.append(vs)
    return out


# --------------------------------------------------------------------------- §3 selection


def _sidecar_key(c: Car) -> tuple[Any, ...]:
    return (c.created, c.name, c.ns)


def ordered_sidecars(cluster: Cluster) -> list[Car]:
    """§3.2: creation time, name, namespace; then selector Sidecars first (stable)."""
    by_time = sorted(cluster.sidecars, key=_sidecar_key)
    return [c for c in by_time if c.selector is not None] + [
        c for c in by_time if c.selector is None
    ]


def root_default(cluster: Cluster) -> Car | None:
    """§3.3."""
    for c in ordered_sidecars(cluster):
        if c.ns == cluster.config.root and c.selector is None:
            return c
    return None


def _labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(k in labels and labels[k] == v for k, v in selector.items())


def select(cluster: Cluster, pod: Pod) -> tuple[Car | None, str]:
    """§3.4, §3.6: the Sidecar and the origin's name (as the library's SelectionOrigin)."""
    if pod.kind != "sidecar":
        return None, "GATEWAY_DEFAULT"
    for c in ordered_sidecars(cluster):
        if c.ns != pod.ns:
            continue
        if c.selector is None:
            origin = "ROOT_DEFAULT" if pod.ns == cluster.config.root else "NAMESPACE_DEFAULT"
            return c, origin
        if _labels_match(c.selector, pod.labels):
            return c, "WORKLOAD_SELECTOR"
    root = root_default(cluster)
    if root is not None:
        return root, "ROOT_DEFAULT"
    return None, "IMPLICIT_DEFAULT"


def selection(cluster: Cluster, pod: Pod) -> dict[str, Any]:
    """The choice and a verdict for every Sidecar considered (own namespace, then root default)."""
    chosen, origin = select(cluster, pod)
    considered = [c for c in ordered_sidecars(cluster) if c.ns == pod.ns]
    root = root_default(cluster)
    if root is not None and root not in considered:
        considered.append(root)
    verdicts = []
    for c in considered:
        if pod.kind != "sidecar":
            verdict = "not-a-sidecar-proxy"
        elif c is chosen:
            verdict = "chosen"
        elif c.ns != pod.ns:
            verdict = "own-namespace-first"
        elif c.selector is not None and not _labels_match(c.selector, pod.labels):
            verdict = "selector-mismatch"
        else:
            verdict = "outranked"
        verdicts.append((f"{c.ns}/{c.name}", c is chosen, verdict))
    return {
        "sidecar": None if chosen is None else f"{chosen.ns}/{chosen.name}",
        "origin": origin,
        "candidates": verdicts,
    }


# --------------------------------------------------------------------------- §4 visibility


def _visibility_policy(cluster: Cluster, ns: str) -> str:
    """§4.2.2: the serviceEntryVisibility that applies to a namespace's ServiceEntries."""
    cfg = cluster.config.se_visibility or {}
    labels = cluster.namespace_labels.get(ns, {})

    def selector_matches(sel: dict[str, Any] | None) -> bool:
        if sel is None:
            return False
        wanted = sel.get("matchLabels") or {}
        return all(labels.get(k) == v for k, v in wanted.items())

    chosen = cfg.get("defaultVisibility", "VISIBILITY_UNSPECIFIED")
    for policy in cfg.get("policies") or ():
        rules = policy.get("matchingRules") or ()
        if all(selector_matches(r.get("namespaceSelector")) for r in rules):
            chosen = policy.get("visibility", "VISIBILITY_UNSPECIFIED")
            break
    return chosen if chosen in {"NONE", "NAMESPACE"} else "PUBLIC"


def export_of(cluster: Cluster, s: Svc) -> frozenset[str]:
    """§4.2.2: the effective export set."""
    export = s.export or frozenset(cluster.config.service_export)
    cfg = cluster.config.se_visibility
    if export == {"~"} or s.kube or not cfg or not cfg.get("applyToSidecars"):
        return export
    visibility = _visibility_policy(cluster, s.ns)
    if visibility == "NAMESPACE":
        return frozenset({"."}) if export & {"*", ".", s.ns} else frozenset({"~"})
    if visibility == "NONE":
        return frozenset({"~"})
    return export


def visible(cluster: Cluster, s: Svc, ns: str) -> bool:
    """§4.2.3."""
    export = export_of(cluster, s)
    return "*" in export or ("." in export and s.ns == ns) or ns in export


def services_in_order(cluster: Cluster) -> list[Svc]:
    """§4.2.4: creation time, name attribute, namespace; stable."""
    return sorted(cluster.services, key=lambda s: (*s.key(), s.seq))


def visible_list(cluster: Cluster, ns: str) -> list[Svc]:
    """§4.2.4: the namespace's bucket, then the public list."""
    bucket, public = [], []
    for s in services_in_order(cluster):
        export = export_of(cluster, s)
        if "*" in export:
            public.append(s)
        elif "~" in export:
            continue
        elif any(e == ns or (e == "." and s.ns == ns) for e in export):
            bucket.append(s)
    return bucket + public


def holder(cluster: Cluster, host: str, ns: str) -> Svc | None:
    """§4.2.5: one service per (hostname, namespace), oldest unless a later one is Kubernetes."""
    kept = None
    for s in services_in_order(cluster):
        if s.host != host or s.ns != ns:
            continue
        if kept is None or (s.kube and not kept.kube):
            kept = s
    return kept


def visible_vss(cluster: Cluster, ns: str) -> list[Vs]:
    """§4.3.3: private, exported, then public, each oldest first; mesh-bound with hosts only."""
    candidates = sorted(
        (v for v in cluster.vss if v.hosts and "mesh" in (v.gateways or ("mesh",))),
        key=lambda v: (v.created, v.name, v.ns),
    )

    def bucketed(v: Vs) -> str:
        if "*" in v.export:
            return "public"
        if "~" in v.export or ns not in v.export:
            return "none"
        return "private" if v.ns == ns else "exported"

    return [v for b in ("private", "exported", "public") for v in candidates if bucketed(v) == b]


# --------------------------------------------------------------------------- §5.2 classification


@dataclass
class HostClass:
    exact: set[str] = field(default_factory=set)
    all: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    def includes(self, h: str) -> bool:
        return h in self.exact or any((wild(h) or wild(e)) and subset_of(h, e) for e in self.all)

    def excludes(self, h: str) -> bool:
        return any(subset_of(h, x) for x in self.excluded)

    def vs_matches(self, h: str) -> bool:
        return h in self.exact or any((wild(h) or wild(e)) and overlaps(h, e) for e in self.all)


def classify(hosts: list[str], ns: str) -> tuple[dict[str, HostClass], bool]:
    classes: dict[str, HostClass] = {}
    all_exact = True
    for h in hosts:
        if h.count("/") != 1:
            continue
        key, dns = h.split("/")
        excluded = key.startswith("~")
        if excluded:
            key = key[1:] or "*"
        if key == ".":
            key = ns
        cls = classes.setdefault(key, HostClass())
        if excluded:
            cls.excluded.append(dns)
            continue
        cls.all.append(dns)
        if not wild(dns):
            cls.exact.add(dns)
        if key == "*" or wild(dns):
            all_exact = False
    return classes, all_exact


# --------------------------------------------------------------------------- §5.3-§5.5


Imported = tuple[Svc, tuple[tuple[str, int, str, int | None], ...], tuple[str, ...]]


def port_match(listener: dict[str, Any]) -> int | None:
    """§5.4 step 4: the number a listener trims to, or None."""
    port = listener.get("port")
    if not port or not port.get("number") or parse_protocol(port.get("protocol")) == "HTTP_PROXY":
        return None
    return int(port["number"])


def import_services(  # noqa: C901, PLR0912 - §5.3 to §5.5, transcribed
    cluster: Cluster, listener: dict[str, Any], ns: str
) -> list[Imported]:
    classes, all_exact = classify(list(listener.get("hosts") or ()), ns)
    if all_exact:
        found: list[Svc] = []
        for key, cls in classes.items():
            for h in cls.all:
                s = holder(cluster, h, key)
                if s is not None and visible(cluster, s, ns) and s not in found:
                    found.append(s)
        candidates = sorted(found, key=lambda s: (*s.key(), s.seq))
    else:
        candidates = visible_list(cluster, ns)
    number = port_match(listener)
    out: list[Imported] = []
    for s in candidates:
        own, star = classes.get(s.ns), classes.get("*")
        if (own and own.excludes(s.host)) or (star and star.excludes(s.host)):
            continue
        if own is not None and own.includes(s.host):
            key_class = own
        elif star is not None and star.includes(s.host):
            key_class = star
        else:
            continue
        ports = s.ports if number is None else tuple(p for p in s.ports if p[1] == number)
        if not ports:
            continue
        kept = tuple(h for _, h in s.aliases if key_class.includes(h))
        out.append((s, ports, kept))
    chosen: dict[str, Svc] = {}
    for s, _, _ in out:  # §5.5
        current = chosen.get(s.host)
        if (
            current is None
            or s.ns == ns
            or (cluster.config.unified and s.kube and not current.kube and current.ns != ns)
        ):
            chosen[s.host] = s
    return [item for item in out if chosen[item[0].host].ns == item[0].ns]


def select_vss(cluster: Cluster, listener: dict[str, Any], ns: str) -> list[Vs]:
    """§5.6."""
    classes, _ = classify(list(listener.get("hosts") or ()), ns)
    out = []
    for v in visible_vss(cluster, ns):
        star = classes.get("*")
        own = classes.get(v.ns)
        hit = False
        for cls in (own, star):
            if cls is None:
                continue
            for h in v.hosts:
                excluded = (own is not None and own.excludes(h)) or (
                    star is not None and star.excludes(h)
                )
                if cls.vs_matches(h) and not excluded:
                    hit = True
        if hit and v not in out:
            out.append(v)
    return out


def inferred(
    cluster: Cluster, listener: dict[str, Any], vss: list[Vs], ns: str
) -> list[tuple[Svc, tuple[Any, ...]]]:
    """§5.7."""
    number = port_match(listener)
    out = []
    for v in vss:
        wanted: dict[str, set[int]] = {}
        pairs = [p for sources, ps in v.http if not sources or ns in sources for p in ps] + v.l4
        for host, port in pairs:
            wanted.setdefault(host, set()).add(port)
        for host, ports in wanted.items():
            service = holder(cluster, host, ns)
            if service is None:
                holders = [
                    h
                    for h in (
                        holder(cluster, host, q) for q in sorted({s.ns for s in cluster.services})
                    )
                    if h
                ]
                options = [h for h in holders if visible(cluster, h, ns)]
                if not options:
                    continue
                if cluster.config.pick_best:
                    kube = [h for h in options if h.kube]
                    service = min(kube or options, key=lambda s: (*s.key(), s.seq))
                else:
                    service = min(options, key=lambda s: s.ns)
            if number is not None:
                kept = tuple(p for p in service.ports if p[1] == number)
            elif 0 in ports:
                kept = service.ports
            else:
                kept = tuple(p for p in service.ports if p[1] in ports)
            if kept:
                out.append((service, kept))
    return out


def _mergeable(a: Svc, b: Svc) -> bool:
    return (a.ns, a.resolution, a.kube, a.labels, a.selector, a.export) == (
        b.ns,
        b.resolution,
        b.kube,
        b.labels,
        b.selector,
        b.export,
    )


def union(items: list[tuple[Svc, tuple[Any, ...]]]) -> dict[str, tuple[Svc, tuple[Any, ...]]]:
    """§5.8."""
    result: dict[str, tuple[Svc, tuple[Any, ...]]] = {}
    for s, ports in items:
        if s.host not in result:
            result[s.host] = (s, ports)
            continue
        e, e_ports = result[s.host]
        if e is s and e_ports == ports:
            continue
        if e.kube and not s.kube:
            continue
        if s.kube and not e.kube:
            result[s.host] = (s, ports)
            continue
        if e_ports == ports:
            continue
        if _mergeable(e, s):
            have = {p[1] for p in e_ports}
            result[s.host] = (e, e_ports + tuple(p for p in ports if p[1] not in have))
    return result


@dataclass
class Egress:
    index: int
    listener: dict[str, Any]
    services: list[Imported]
    vss: list[Vs]


def egress_of(
    cluster: Cluster, pod: Pod
) -> tuple[list[Egress], dict[str, tuple[Svc, tuple[Any, ...]]]]:
    """§5.0 (and §3.6 for gateways): per-egress imports and the union."""
    ns = pod.ns
    if pod.kind != "sidecar":
        seen = visible_list(cluster, ns)
        listener = {"hosts": ["*/*"]}
        services = [(s, s.ports, tuple(h for _, h in s.aliases)) for s in seen]
        egress = [Egress(0, listener, services, visible_vss(cluster, ns))]
        return egress, union([(s, p) for s, p, _ in services])
    car, _ = select(cluster, pod)
    listeners = (car.egress if car is not None else None) or [{"hosts": ["*/*"]}]
    egress = []
    items: list[tuple[Svc, tuple[Any, ...]]] = []
    for i, listener in enumerate(listeners):
        imported = import_services(cluster, listener, ns)
        vss = select_vss(cluster, listener, ns)
        egress.append(Egress(i, listener, imported, vss))
        items.extend((s, p) for s, p, _ in imported)
        items.extend(inferred(cluster, listener, vss, ns))
    return egress, union(items)


def _ports(ports: tuple[Any, ...]) -> tuple[tuple[str, int, str], ...]:
    return tuple((n, number, proto) for n, number, proto, _ in ports)


def scope(cluster: Cluster, pod: Pod) -> dict[str, Any]:
    egress, merged = egress_of(cluster, pod)
    return {
        "egress": [
            {
                "services": [(s.host, s.ns, _ports(p), a) for s, p, a in e.services],
                "virtual_services": [(v.ns, v.name) for v in e.vss],
            }
            for e in egress
        ],
        "union": [(h, s.ns, _ports(p)) for h, (s, p) in merged.items()],
    }


# --------------------------------------------------------------------------- §5.11 listeners


#: The ALPNs of plain-text HTTP, which an HTTP chain on a wildcard address matches (L6a).
HTTP_ALPNS = ("http/1.1", "h2c")


@dataclass
class Chain:
    """A filter chain (L6a): what it matches, the host it serves, its route name if HTTP."""

    kind: str  # "tcp" (TCP or TLS) or "http"
    match: tuple[Any, ...]  # (transport, ALPNs, SNI names, destination CIDRs)
    host: str
    route: str | None = None


@dataclass
class Entry:
    address: str
    port: int
    protocol: str
    binds: bool
    index: int
    uds: bool = False
    locked: bool = False
    tcp: list[str] = field(default_factory=list)
    http: list[str] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)
    chains: list[Chain] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


class Listeners:
    """L1 to L7 and MSP1 to MSP6 for one proxy, entry by entry."""

    def __init__(
        self, cluster: Cluster, pod: Pod, egress: list[Egress], fallthrough: str | None = None
    ) -> None:
        self.fallthrough = fallthrough  # T5: where traffic no chain matches goes
        self.cluster = cluster
        self.pod = pod
        self.egress = egress
        self.wildcard = "::" if pod.family == "IPv6" else ANY4
        self.loopback = "::1" if pod.family == "IPv6" else "127.0.0.1"
        self.reserved = STATUS_PORTS | cluster.config.proxy_ports
        self.entries: dict[tuple[str, int], Entry] = {}
        self.collisions = "filter_chain_collisions" in cluster.switches
        self.uds_by_protocol = "uds_tcp" in cluster.switches
        self.sniffed_route_owner = "sniffed_route_owner" in cluster.switches

    def on_wildcard(self, bind: str | None, binds: bool, protocol: str) -> bool:  # noqa: FBT001
        """L3: whether the listener counts as sitting on the wildcard, where proxy ports are."""
        if bind:
            return bind == self.wildcard
        return not binds and category(protocol) == "http"

    def address(self, bind: str | None, binds: bool, protocol: str, s: Svc) -> str:  # noqa: FBT001
        """L2, L4."""
        if bind:
            return bind
        if binds:
            return self.loopback
        if category(protocol) == "http" or "/" in s.address or s.address == ANY4:
            return self.wildcard
        return s.address

    def chains_for(
        self, s: Svc, port: int, protocol: str, address: str, endpoint: str | None
    ) -> list[Chain]:
        """L6a: the chains one service port brings to the entry at ``address``."""
        on_wildcard = address == self.wildcard
        cidrs = frozenset({s.address}) if "/" in s.address else frozenset({endpoint} - {None})
        if category(protocol) == "http":
            # Only a wildcard HTTP chain gets the ALPN (and raw-buffer) match; HTTP_PROXY
            # listeners are plain HTTP everywhere (istiod's buildSidecarOutboundListener).
            if on_wildcard and protocol != "HTTP_PROXY":
                match: tuple[Any, ...] = ("raw", HTTP_ALPNS, frozenset(), frozenset())
            else:
                match = ("", (), frozenset(), frozenset())
            return [Chain("http", match, s.host, str(port))]
        if protocol in {"TLS", "HTTPS"}:
            by_sni = (s.address == ANY4 and on_wildcard) or "/" in s.address
            names = frozenset({s.host, *(h for _, h in s.aliases)}) if by_sni else frozenset()
            return [Chain("tcp", ("tls" if names else "", (), names, cidrs), s.host)]
        chains = [Chain("tcp", ("", (), frozenset(), cidrs), s.host)]
        if protocol == AUTO:
            route = str(port) if on_wildcard else f"{s.host}:{port}"  # L7
            chains.append(
                Chain("http", ("raw", HTTP_ALPNS, frozenset(), frozenset()), s.host, route)
            )
        return chains

    @staticmethod
    def merge_chains(entry: Entry, incoming: list[Chain], host: str) -> None:
        """L6a: keep the existing chains, drop every incoming one whose match is taken."""
        kept = [c for c in incoming if all(c.match != old.match for old in entry.chains)]
        entry.chains.extend(kept)
        if incoming and not kept:
            entry.dropped.append(host)

    def add(  # noqa: PLR0913, PLR0917 - the parts of one entry key and its newcomer
        self,
        address: str,
        port: int,
        protocol: str,
        binds: bool,  # noqa: FBT001
        index: int,
        s: Svc,
        endpoint: str | None = None,
    ) -> None:
        """L4 (a new key), L5 (locked), L6 (merging)."""
        key = (address, port)
        host = s.host
        chains = self.chains_for(s, port, protocol, address, endpoint)
        entry = self.entries.get(key)
        http = category(protocol) == "http"
        if entry is None:
            recorded = (
                AUTO if http and address == self.wildcard and protocol != "HTTP_PROXY" else protocol
            )
            entry = self.entries[key] = Entry(address, port, recorded, binds, index, chains=chains)
            (entry.http if http else entry.tcp).append(host)
            return
        if entry.locked:
            entry.shadowed.append(host)  # MSP2
            return
        if protocol == "HTTP_PROXY":
            self.entries[key] = Entry(
                address, port, protocol, binds, index, http=[host], chains=chains
            )
            return
        old = entry.protocol
        if (protocol in {"Mongo", "MySQL"} or old in {"Mongo", "MySQL"}) and protocol != old:
            entry.shadowed.append(host)
            return
        new_c, old_c = category(protocol), category(old)
        if new_c == "http":
            if old_c == "tcp":
                entry.protocol = AUTO
                self.merge_chains(entry, chains, host)
            entry.http.append(host)  # onto HTTP or sniffing: no chain, the route decides
        elif new_c == "tcp":
            if old_c == "http":
                entry.protocol = AUTO
            entry.tcp.append(host)
            self.merge_chains(entry, chains, host)
        elif old_c == "http":
            self.entries[key] = Entry(address, port, AUTO, binds, index, tcp=[host], chains=chains)
        else:
            entry.protocol = AUTO
            entry.tcp.append(host)
            offered = chains if old_c == "tcp" else [c for c in chains if c.kind == "tcp"]
            self.merge_chains(entry, offered, host)

    def build(self) -> list[dict[str, Any]]:
        capture_none = self.pod.interception == "NONE"
        for e in self.egress:
            listener = e.listener
            bind = listener.get("bind")
            # L1
            binds = (
                capture_none
                or listener.get("captureMode") == "NONE"
                or (bind or "").startswith("unix://")
            )
            if listener.get("port") is not None:
                self.ported(e, bind, binds)
            else:
                for entry in self.entries.values():
                    entry.locked = True  # L5
                self.catch_all(e, bind, binds)
        return [self.result(entry) for entry in self.entries.values()]

    def ported(self, e: Egress, bind: str | None, binds: bool) -> None:  # noqa: FBT001
        port = e.listener["port"]
        number = port.get("number") or 0
        protocol = parse_protocol(port.get("protocol"))
        if number == 0 and bind and bind.startswith("unix://"):
            entry = Entry(bind, 0, protocol, binds=True, index=e.index, uds=True)  # §5.15
            entry.tcp = [s.host for s, _, _ in e.services if s.resolution != ALIAS]
            self.entries[(bind, 0)] = entry
            return
        if number in self.reserved and self.on_wildcard(bind, binds, protocol):
            return  # L3: the whole listener is skipped
        for s, _, _ in e.services:
            if s.resolution == ALIAS:
                continue
            self.add(self.address(bind, binds, protocol, s), number, protocol, binds, e.index, s)

    def catch_all(self, e: Egress, bind: str | None, binds: bool) -> None:  # noqa: FBT001
        for s, ports, _ in e.services:
            if s.resolution == ALIAS:
                continue
            per_endpoint = (
                not bind
                and not binds
                and s.resolution == "NONE"
                and s.address == ANY4
                and (s.kube or bool(s.endpoints) or bool(s.selector))
            )
            for _name, number, protocol, _ in ports:
                if protocol == "UDP":
                    continue
                if per_endpoint and category(protocol) != "http":
                    # L5 special case (b): one entry per endpoint IP, never the proxy's own.
                    shared = self.cluster.config.filter_chains and category(protocol) == "tcp"
                    for endpoint in s.endpoints:
                        if endpoint == self.pod.ip or not is_ip(endpoint):
                            continue
                        address = self.wildcard if shared else endpoint
                        self.add(address, number, protocol, binds, e.index, s, endpoint)
                    continue
                if number in self.reserved and self.on_wildcard(bind, binds, protocol):
                    continue  # L3
                self.add(
                    self.address(bind, binds, protocol, s), number, protocol, binds, e.index, s
                )

    def route_owner(self, port: int, route: str) -> Egress | None:
        """R1."""
        for e in self.egress:
            p = e.listener.get("port")
            if p is None:
                return e
            if (p.get("number") or 0) == port and (port != 0 or e.listener.get("bind") == route):
                return e
        return None

    def served(self, owner: Egress, port: int) -> list[str]:
        """R2 to R4: the virtual host names of route ``port`` served by ``owner``."""
        p = owner.listener.get("port")
        every_port = p is not None and (
            parse_protocol(p.get("protocol")) == "HTTP_PROXY" or not p.get("number")
        )
        names = []
        for s, ports, aliases in owner.services:
            if s.resolution == ALIAS:
                continue
            if not any((every_port or q[1] == port) and category(q[2]) != "tcp" for q in ports):
                continue
            names.append(s.host)
            names.extend(aliases)
        # R3: per VirtualService, its hosts split into services of this route (those with
        # port P, any protocol) and the rest; the rest join route P when one of the services
        # has an HTTP or sniffed port P, and on port 80 a VS with no such service gives all.
        with_p = {
            s.host: any(category(q[2]) != "tcp" for q in ports if every_port or q[1] == port)
            for s, ports, _ in owner.services
            if every_port or any(q[1] == port for q in ports)
        }
        for v in owner.vss:
            ours = [h for h in v.hosts if any(host_covers(h, n) for n in with_p)]
            if any(host_covers(h, n) and web for h in ours for n, web in with_p.items()):
                names += [h for h in v.hosts if h not in ours and h not in names]
            elif port == 80 and not every_port:
                names += [h for h in v.hosts if h not in names]
        return names

    def uds_result(self, entry: Entry) -> tuple[str | None, list[str], list[str]]:
        """§5.15: route, hosts and dropped hosts of a unix-socket listener."""
        everything = self.served(self.egress[entry.index], 0)
        if not self.uds_by_protocol or category(entry.protocol) == "http":
            return entry.address, everything, []
        first, rest = entry.tcp[:1], entry.tcp[1:]
        if category(entry.protocol) == "auto":
            return entry.address, list(dict.fromkeys([*first, *everything])), rest
        return None, first, rest  # a plain TCP proxy to the first imported service

    def result(self, entry: Entry) -> dict[str, Any]:
        owner: int | None = None
        route: str | None = None
        shadowed = list(entry.shadowed)
        dropped: list[str] = []
        cat = category(entry.protocol)
        if entry.uds:
            route, hosts, dropped = self.uds_result(entry)
            owner = entry.index if route else None
        elif self.collisions:
            hosts = [c.host for c in entry.chains if c.kind == "tcp"]
            route = next((c.route for c in entry.chains if c.kind == "http"), None)
            if cat == "http" or (cat == "auto" and entry.address == self.wildcard and entry.http):
                route = str(entry.port)
            if route == str(entry.port):
                serving = self.route_owner(entry.port, route)
                served = [] if serving is None else self.served(serving, entry.port)
                owner = None if serving is None else serving.index
                hosts += served
            shadowed += entry.http
            dropped = entry.dropped
        else:
            hosts = list(entry.tcp)
            if entry.http or cat == "http" or (cat == "auto" and entry.address == self.wildcard):
                route = str(entry.port)
                serving = self.route_owner(entry.port, route)
                served = [] if serving is None else self.served(serving, entry.port)
                owner = None if serving is None else serving.index
                hosts += served
                shadowed += [h for h in entry.http if h not in served]
            elif cat == "auto":
                route = f"{entry.tcp[0]}:{entry.port}"
        if (
            self.sniffed_route_owner
            and route is not None
            and not entry.uds
            and route != str(entry.port)
        ):
            # R1, MSP3: istiod resolves a sniffed route "<host>:P" against the egress
            # listener owning port P, as any other route of that port.
            serving = self.route_owner(entry.port, route)
            owner = None if serving is None else serving.index
        hosts = list(dict.fromkeys(hosts))
        # T7: no chain matching everything (a unix socket always has one) => fall through
        match_all: tuple[Any, ...] = ("", (), frozenset(), frozenset())
        falls = not entry.uds and all(c.match != match_all for c in entry.chains)
        return {
            "fallthrough": self.fallthrough if falls else None,
            "address": entry.address,
            "port": entry.port,
            "protocol": entry.protocol,
            "binds_socket": entry.binds,
            "egress_index": entry.index,
            "route": route,
            "route_egress_index": owner,
            "hosts": tuple(hosts),
            "shadowed": tuple(h for h in dict.fromkeys(shadowed) if h not in hosts),
            "dropped": tuple(h for h in dict.fromkeys(dropped) if h not in hosts),
        }


def host_covers(vs_host: str, name: str) -> bool:
    """R3: a VirtualService host naming a service, exactly or by a wildcard."""
    return vs_host == name or (vs_host.startswith("*") and name.endswith(vs_host[1:]))


def unmatched_target(cluster: Cluster, pod: Pod) -> str | None:
    """T1, T3, T5: the target of unmatched traffic (None while the switch is off)."""
    if "unmatched_traffic" not in cluster.switches:
        return None
    car, _ = select(cluster, pod)
    if pod.kind != "sidecar":
        mode, proxy = None, None  # §3.6: the gateway default scope has no policy
    elif car is not None and car.policy is not None:
        mode, proxy = car.policy.get("mode"), car.policy.get("egressProxy")
    else:
        mode, proxy = cluster.config.outbound_mode, None
    if mode not in {"ALLOW_ANY", "ALLOW_ANY_DYNAMIC_DNS"}:
        return "BlackHoleCluster"
    if proxy:
        port = (proxy.get("port") or {}).get("number") or 0
        return f"outbound|{port}|{proxy.get('subset') or ''}|{proxy['host']}"
    return "PassthroughCluster"


def outbound(cluster: Cluster, pod: Pod) -> list[dict[str, Any]]:
    egress, _ = egress_of(cluster, pod)
    return Listeners(cluster, pod, egress, unmatched_target(cluster, pod)).build()


# --------------------------------------------------------------------------- §6 inbound


def _forward(default_endpoint: str | None) -> str:
    """§6.5."""
    if not default_endpoint or default_endpoint.startswith(":"):
        return "original destination"
    if default_endpoint.startswith("unix://"):
        return default_endpoint
    host, _, port = default_endpoint.rpartition(":")
    names = {"127.0.0.1": "127.0.0.1", "[::1]": "::1", ANY4: "pod IP", "[::]": "pod IPv6 address"}
    return f"{names.get(host, host)}:{port}"


def inbound(cluster: Cluster, pod: Pod) -> list[dict[str, Any]]:  # noqa: C901, PLR0912 - §6
    """§6.1 to §6.5 (the connection pool of each port is compared separately)."""
    car, _ = select(cluster, pod)
    ingress = [] if car is None or pod.kind != "sidecar" else car.ingress
    capture_none = pod.interception == "NONE"
    out = []
    seen: set[int] = set()
    for i, listener in enumerate(ingress):
        port = listener["port"].get("number") or 0
        if port in seen:
            continue
        seen.add(port)
        mode = listener.get("captureMode") or "DEFAULT"
        binds = mode == "NONE" or (mode == "DEFAULT" and capture_none)
        protocol = parse_protocol(listener["port"].get("protocol"))
        bind = listener.get("bind")
        if port in STATUS_PORTS and (bind == ANY4 or (not bind and category(protocol) == "http")):
            continue
        if not binds and capture_none:
            continue  # §8.37
        out.append(
            {
                "port": port,
                "protocol": protocol,
                "address": bind or pod.ip or ANY4,
                "binds_socket": binds,
                "forward_to": _forward(listener.get("defaultEndpoint")),
                "source": f"ingress[{i}]",
            }
        )
    if ingress and not cluster.config.inbound_merge:
        return out
    if capture_none and not ingress:
        return []
    skip_proxy_ports = "reserved_inbound_ports" in cluster.switches
    for s in services_in_order(cluster):  # §6.2: the workload's own services, oldest first
        if (
            s.ns != pod.ns
            or not s.selector
            or not all(pod.labels.get(k) == v for k, v in s.selector)
        ):
            continue
        for name, number, protocol, target in s.ports:
            if isinstance(target, tuple):
                if "named_target_port" not in cluster.switches:
                    continue  # not generated while the switch is off
                if target not in pod.container_ports:
                    continue  # §4.2.6: this pod declares no such port: no target for it
                target = pod.container_ports[target]  # noqa: PLW2901
            real = target or number
            if skip_proxy_ports and real in STATUS_PORTS | cluster.config.proxy_ports:
                continue  # §6.2a
            if real in seen:
                continue
            seen.add(real)
            del name
            out.append(
                {
                    "port": real,
                    "protocol": protocol,
                    "address": pod.ip or ANY4,
                    "binds_socket": False,
                    "forward_to": f"127.0.0.1:{real}"
                    if cluster.config.localhost_inbound
                    else "original destination",
                    "source": f"service {s.host}:{number}",
                }
            )
    return out
