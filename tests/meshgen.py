"""A seeded generator of meshes for the resolver's agreement tests and benchmarks.

``generate(seed, namespaces=..., services=..., ...)`` returns a :class:`Mesh` of N
namespaces with Kubernetes Services and ServiceEntries (some wildcard, some exported
narrowly), Sidecars (namespace-wide and selector ones, ported and catch-all listeners,
``~`` exclusions, a root default), VirtualServices (some routing across namespaces,
some restricted by source namespace), DestinationRules (some private, some with
selectors) and workloads (a few gateways). The same seed always gives the same mesh.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import attrs

from sidecar_model.mesh import (
    IPFamily,
    Mesh,
    MeshConfig,
    MeshService,
    ProxyType,
    Registry,
    ServicePort,
    Workload,
)
from sidecar_model.model import (
    Destination,
    IstioEgressListener,
    OutboundTrafficPolicy,
    OutboundTrafficPolicyMode,
    Port,
    PortSelector,
    Protocol,
    Sidecar,
    WorkloadSelector,
)
from sidecar_model.resources import (
    DestinationRuleSpec,
    HTTPRoute,
    L4Route,
    MatchLabelsSelector,
    ObjectMeta,
    Resource,
    RouteDestination,
    RouteMatch,
    Subset,
    VirtualServiceSpec,
)

ROOT = "istio-system"
EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
ANY = "0.0.0.0"  # noqa: S104 - the wildcard address value, nothing binds here
PORTS = (
    ("http", 80, Protocol.HTTP),
    ("http-alt", 8080, Protocol.HTTP),
    ("http-app", 9080, Protocol.HTTP),
    ("grpc", 9090, Protocol.GRPC),
    ("tcp-db", 5432, Protocol.TCP),
    ("redis", 6379, Protocol.REDIS),
    ("mysql", 3306, Protocol.MYSQL),
    ("", 7000, Protocol.UNSUPPORTED),
)
NETWORKING = "networking.istio.io/v1"


def _time(rng: random.Random) -> dt.datetime:
    # Coarse times so that ties on creation time (broken by name) are common.
    return EPOCH + dt.timedelta(minutes=rng.randrange(0, 50))


def _meta(name: str, namespace: str, rng: random.Random) -> ObjectMeta:
    return ObjectMeta(name=name, namespace=namespace, creation_timestamp=_time(rng))


def generate(seed: int, **knobs: Any) -> Mesh:
    """A random but reproducible mesh: :func:`generate_inputs` made into a :class:`Mesh`."""
    inputs = generate_inputs(seed, **knobs)
    return Mesh.from_resources(
        inputs.resources,
        config=inputs.config,
        services=inputs.services,
        workloads=inputs.workloads,
    )


@attrs.frozen
class Inputs:
    """What a loaded cluster dump gives: resources, services and workloads, and a config."""

    resources: list[Resource[Any]]
    services: list[MeshService]
    workloads: list[Workload]
    config: MeshConfig


def generate_inputs(  # noqa: PLR0913 - one knob per kind of object
    seed: int,
    *,
    namespaces: int = 6,
    services: int = 24,
    service_entries: int = 6,
    sidecars: int = 8,
    workloads: int = 20,
    virtual_services: int | None = None,
    destination_rules: int | None = None,
    scan_share: float = 0.15,
    alias_share: float = 0.04,
    config: MeshConfig | None = None,
) -> Inputs:
    """The inputs of a random but reproducible mesh.

    ``scan_share`` is the share of Sidecars whose listeners import ``*/*``;
    ``alias_share`` the share of Kubernetes Services made ExternalName aliases.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    names = [ROOT, *(f"ns{i}" for i in range(namespaces))]
    apps = max(2, services // max(1, namespaces))
    mesh_services: list[MeshService] = []
    for i in range(services):
        ns = ROOT if i < 2 else rng.choice(names[1:])
        name = f"svc{i % max(1, services // 2)}"  # repeated names: same host in several ns
        ports = rng.sample(PORTS, rng.randint(1, 3))
        export = rng.choices(
            [
                None,
                frozenset({"*"}),
                frozenset({"."}),
                frozenset({rng.choice(names)}),
                frozenset({"~"}),
                frozenset({".", rng.choice(names)}),
            ],
            weights=[60, 5, 15, 8, 4, 8],
        )[0]
        headless = rng.random() < 0.05
        mesh_services.append(
            MeshService(
                hostname=f"{name}.{ns}.svc.cluster.local",
                namespace=ns,
                name=name,
                ports=tuple(ServicePort(name=n, number=p, protocol=pr) for n, p, pr in ports),
                export_to=export,
                registry=Registry.KUBERNETES,
                resolution="NONE" if headless else "STATIC",
                creation_timestamp=_time(rng),
                address=ANY if headless else f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                selector={"app": f"app{i % apps}"},
            )
        )
    hosts: list[str] = []
    domains = max(7, service_entries // 10)
    for i in range(service_entries):
        ns = rng.choice(names)
        domain = f"ext{i % domains}.example.com"
        wildcard = rng.random() < 0.2
        host = f"*.{domain}" if wildcard else f"api{i % 5}.{domain}"
        if rng.random() < 0.1 and mesh_services:
            host = rng.choice(mesh_services).hostname
        hosts.append(host)
        port = rng.choice(
            [("https", 443, Protocol.TLS), ("http", 80, Protocol.HTTP), ("tcp", 5432, Protocol.TCP)]
        )
        resolution = "NONE" if wildcard else rng.choice(["DNS", "STATIC", "NONE"])
        mesh_services.append(
            MeshService(
                hostname=host,
                namespace=ns,
                name=f"se{i}",
                ports=(ServicePort(name=port[0], number=port[1], protocol=port[2]),),
                export_to=rng.choices(
                    [None, frozenset({"."}), frozenset({rng.choice(names)}), frozenset({"~"})],
                    weights=[70, 15, 10, 5],
                )[0],
                registry=Registry.EXTERNAL,
                resolution=resolution,
                creation_timestamp=_time(rng),
                address=rng.choice([ANY, f"240.0.{i // 256 % 256}.{i % 256}"]),
            )
        )
    _make_aliases(seed, mesh_services, alias_share)
    _add_proxy_ports(seed, mesh_services)
    resources: list[Resource[Any]] = [_root_default(rng)]
    resources.extend(
        _sidecar(rng, i, names, hosts, mesh_services, apps, scan_share, domains)
        for i in range(sidecars)
    )
    vs_count = services // 4 if virtual_services is None else virtual_services
    resources.extend(_virtual_service(rng, i, names, mesh_services) for i in range(vs_count))
    dr_count = services // 4 if destination_rules is None else destination_rules
    resources.extend(_destination_rule(rng, i, names, mesh_services, apps) for i in range(dr_count))
    mesh_workloads = []
    for i in range(workloads):
        gateway = rng.random() < 0.01
        mesh_workloads.append(
            Workload(
                namespace=ROOT if gateway else rng.choice(names),
                labels={"app": f"app{rng.randrange(apps)}", "version": rng.choice(["v1", "v2"])},
                name=f"w{i}",
                proxy_type=ProxyType.ROUTER if gateway else ProxyType.SIDECAR,
                interception_mode="NONE" if rng.random() < 0.05 else "REDIRECT",
                unprivileged=rng.random() < 0.1,
            )
        )
    _add_endpoints(seed, mesh_services, mesh_workloads)
    return Inputs(resources, mesh_services, mesh_workloads, config or MeshConfig())


def _add_endpoints(seed: int, services: list[MeshService], workloads: list[Workload]) -> None:
    """Addresses and IP families for some workloads, endpoints for some ServiceEntries.

    Each workload address is unique, as pod IPs are; headless Kubernetes Services get
    their endpoints from the workloads their selector picks (the mesh derives them), and
    some resolution-NONE ServiceEntries list workload addresses (and now and then a
    hostname, which L5 skips) as endpoints. Their own random stream, like
    :func:`_make_aliases`.
    """
    rng = random.Random(seed * 104729 + 3)  # noqa: S311 - reproducible test data
    addresses = []
    # One IP family per namespace, as clusters and their pod networks have: mostly IPv4.
    families: dict[str, IPFamily] = {}
    for i, workload in enumerate(workloads):
        family = families.get(workload.namespace)
        if family is None:
            family = families[workload.namespace] = rng.choices(
                list(IPFamily), weights=[80, 10, 10]
            )[0]
        if rng.random() < 0.3:
            ip = f"10.128.{i // 256 % 256}.{i % 256}"
            addresses.append(ip)
            workloads[i] = attrs.evolve(workload, ip=ip, ip_family=family)
        elif family is not IPFamily.IPV4:
            workloads[i] = attrs.evolve(workload, ip_family=family)
    for i, service in enumerate(services):
        if (
            service.registry is not Registry.EXTERNAL
            or service.resolution != "NONE"
            or service.address != ANY
            or rng.random() < 0.3
        ):
            continue
        endpoints = rng.sample(addresses, min(len(addresses), rng.randint(0, 3)))
        if rng.random() < 0.1:
            endpoints.append("db.internal.example.com")
        services[i] = attrs.evolve(service, endpoints=endpoints)


def _add_proxy_ports(seed: int, services: list[MeshService]) -> None:
    """Give a few services a port the proxy reserves (15021, 15090; L3), in place."""
    rng = random.Random(seed * 31 + 5)  # noqa: S311 - reproducible test data
    reserved = (("status", 15021, Protocol.HTTP), ("tcp-metrics", 15090, Protocol.TCP))
    for i, service in enumerate(services):
        if rng.random() < 0.02:
            name, number, protocol = rng.choice(reserved)
            port = ServicePort(name=name, number=number, protocol=protocol)
            services[i] = attrs.evolve(service, ports=(*service.ports, port))


def _make_aliases(seed: int, services: list[MeshService], share: float) -> None:
    """Turn a share of the Kubernetes Services into ExternalName aliases, in place.

    Their own random stream, so that the rest of the mesh is what it was without them.
    Targets are other services (Kubernetes or ServiceEntry, sometimes another alias, so
    chains and loops occur) or, now and then, a name no service declares.
    """
    rng = random.Random(seed * 7919 + 17)  # noqa: S311 - reproducible test data
    for i, service in enumerate(services):
        if service.registry is not Registry.KUBERNETES or rng.random() >= share:
            continue
        target = rng.choice(services).hostname
        if rng.random() < 0.1:
            target = f"missing{i}.example.com"
        services[i] = attrs.evolve(
            service, resolution="ALIAS", address=ANY, alias_for=target, selector=None
        )


def _root_default(rng: random.Random) -> Resource[Sidecar]:
    spec = Sidecar(egress=(IstioEgressListener(hosts=("./*", f"{ROOT}/*")),))
    return Resource(
        api_version=NETWORKING, kind="Sidecar", metadata=_meta("default", ROOT, rng), spec=spec
    )


def _sidecar(  # noqa: C901, PLR0913, PLR0917 - one random decision per line
    rng: random.Random,
    i: int,
    names: list[str],
    se_hosts: list[str],
    services: list[MeshService],
    apps: int,
    scan_share: float,
    domains: int,
) -> Resource[Sidecar]:
    ns = rng.choice(names)
    hosts = ["./*", f"{ROOT}/*", *(f"{rng.choice(names)}/*" for _ in range(rng.randint(0, 2)))]
    if rng.random() < scan_share:
        hosts.append("*/*")
    if rng.random() < 0.3 and se_hosts:
        hosts.append(f"*/{rng.choice(se_hosts)}")
    if rng.random() < 0.2:
        hosts.append(f"*/*.ext{rng.randrange(domains)}.example.com")
    if rng.random() < 0.2 and services:
        hosts.append(f"~{rng.choice(['.', '', rng.choice(names)])}/{rng.choice(services).hostname}")
    if rng.random() < 0.1:
        hosts.append(f"~/*.ext{rng.randrange(domains)}.example.com")
    if rng.random() < 0.15 and services:
        chosen = rng.sample(services, min(3, len(services)))
        hosts = [f"{s.namespace}/{s.hostname}" for s in chosen]
    egress = []
    if rng.random() < 0.4:
        name, number, protocol = rng.choice(PORTS)
        declared = rng.choice([protocol.value, "HTTP", "TCP", ""])
        egress.append(
            IstioEgressListener(
                port=Port(number=number, protocol=declared or None, name=name or "p"),
                hosts=(
                    "*/*"
                    if rng.random() < scan_share
                    else rng.choice(["./*", f"{rng.choice(names)}/*"]),
                ),
            )
        )
    if not egress or rng.random() < 0.85:
        egress.append(IstioEgressListener(hosts=tuple(hosts)))
    selector = None
    if rng.random() < 0.6:
        selector = WorkloadSelector(labels={"app": f"app{rng.randrange(apps)}"})
    elif rng.random() < 0.05:
        selector = WorkloadSelector()
    policy = None
    if rng.random() < 0.2:
        policy = OutboundTrafficPolicy(mode=OutboundTrafficPolicyMode.REGISTRY_ONLY)
    spec = Sidecar(workload_selector=selector, egress=tuple(egress), outbound_traffic_policy=policy)
    return Resource(
        api_version=NETWORKING, kind="Sidecar", metadata=_meta(f"sc{i}", ns, rng), spec=spec
    )


def _destination(rng: random.Random, service: MeshService) -> Destination:
    port = rng.choice([None, rng.choice(service.ports).number, 1234])
    return Destination(
        host=service.hostname if rng.random() < 0.7 else service.name,
        subset=rng.choice([None, "v1"]),
        port=None if port is None else PortSelector(number=port),
    )


def _virtual_service(
    rng: random.Random, i: int, names: list[str], services: list[MeshService]
) -> Resource[VirtualServiceSpec]:
    ns = rng.choice(names)
    target = rng.choice(services)
    other = rng.choice(services)
    match = (RouteMatch(source_namespace=rng.choice(names)),) if rng.random() < 0.2 else ()
    http = HTTPRoute(
        match=match,
        route=(
            RouteDestination(destination=_destination(rng, target)),
            RouteDestination(destination=_destination(rng, other)),
        ),
    )
    tcp = (L4Route(route=(RouteDestination(destination=_destination(rng, other)),)),)
    spec = VirtualServiceSpec(
        hosts=(rng.choice([target.hostname, f"*.ext{rng.randrange(7)}.example.com", target.name]),),
        export_to=rng.choices([(), (".",), (rng.choice(names),), ("*",)], weights=[70, 15, 10, 5])[
            0
        ],
        http=(http,),
        tcp=tcp if rng.random() < 0.2 else (),
    )
    return Resource(
        api_version=NETWORKING, kind="VirtualService", metadata=_meta(f"vs{i}", ns, rng), spec=spec
    )


def _destination_rule(
    rng: random.Random, i: int, names: list[str], services: list[MeshService], apps: int
) -> Resource[DestinationRuleSpec]:
    ns = rng.choice(names)
    target = rng.choice(services)
    host = rng.choice([target.hostname, target.name, "*.cluster.local", "*.example.com"])
    selector = None
    export: tuple[str, ...] = rng.choices(
        [(), (".",), ("*",), (rng.choice(names),), (".", rng.choice(names))],
        weights=[50, 20, 10, 10, 10],
    )[0]
    if rng.random() < 0.1:
        selector = MatchLabelsSelector(match_labels={"app": f"app{rng.randrange(apps)}"})
        export = ()
    spec = DestinationRuleSpec(
        host=host,
        export_to=export,
        workload_selector=selector,
        subsets=(Subset(name=rng.choice(["v1", "v2"])),),
        traffic_policy={"connectionPool": {"tcp": {"maxConnections": i}}} if i % 2 else None,
    )
    return Resource(
        api_version=NETWORKING,
        kind="DestinationRule",
        metadata=_meta(f"dr{i % 7}", ns, rng),
        spec=spec,
    )
