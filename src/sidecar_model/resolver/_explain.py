"""Why a host is, or is not, reachable from a scope, and what happens to its traffic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model._results import Result
from sidecar_model.hosts import is_ip_address, is_wildcard, subset_of
from sidecar_model.mesh import MeshService
from sidecar_model.mesh._values import ALIAS_RESOLUTION, WILDCARD_ADDRESS

if TYPE_CHECKING:
    from collections.abc import Iterator
from sidecar_model.resolver._imports import Verdict, _classify, _import_decision, _port_filter
from sidecar_model.resolver._listener_values import OutboundListener, OutboundRoute
from sidecar_model.resolver._outbound import outbound_listeners, outbound_routes
from sidecar_model.resolver._scope import EgressScope, SidecarScope, _service_dict

# What happens to traffic for a host (HostExplanation.fate).
LISTENER: Final = "listener"
PASSTHROUGH: Final = "passthrough"
BLACKHOLE: Final = "blackhole"
CATCH_ALL_502: Final = "502"
EGRESS_PROXY: Final = "egress proxy"
DYNAMIC_DNS: Final = "dynamic DNS"
BYPASS: Final = "bypass"
#: The port of the virtual outbound listener (MeshConfig proxyListenPort's default, T6).
_VIRTUAL_OUTBOUND_PORT: Final = 15001

# =========================================================================== explanations


@attrs.frozen(kw_only=True)
class HostExplanation(Result):
    """Why a host is, or is not, reachable from a scope, step by step, and its traffic's fate.

    ``hostname`` is the name the proxy sees: a short name resolved through the workload's DNS
    search path, or the IP asked. ``imported`` says whether it has a cluster of its own (an
    ExternalName alias never has one). ``fate`` is what happens to its traffic: ``listener``
    (an outbound listener, chain or virtual host carries it), else what the outbound policy
    decides for traffic nothing claims: ``passthrough``, ``blackhole``, ``502`` (the route
    catch-all's direct response), ``egress proxy``, ``dynamic DNS``, or ``bypass`` (the proxy
    captures no traffic, T9).
    """

    hostname: str
    imported: bool
    service: MeshService | None
    steps: tuple[str, ...]
    listeners: tuple[OutboundListener, ...] = ()
    #: The host string as asked (a short name, ``host:port``, an IP), else ``hostname``.
    query: str = ""
    #: The port asked (``host:port``), None for any port.
    port: int | None = None
    #: What happens to the traffic (see the class docstring).
    fate: str = ""
    #: The effective outbound traffic policy mode (T1).
    policy: str = ""
    #: The imported wildcard host that serves ``hostname`` (W5), if one does.
    wildcard: str | None = None

    @property
    def alias_for(self) -> str | None:
        """The hostname an ExternalName alias stands for, when ``hostname`` is one in scope."""
        service = self.service
        if service is None or service.resolution != ALIAS_RESOLUTION:
            return None
        return service.alias_for

    @property
    def verdict(self) -> str:
        """``has a cluster in this scope``, ``is not in this scope``, or the alias' case."""
        if self.alias_for is not None:
            return f"is an alias of {self.alias_for} in this scope, with no cluster of its own"
        if self.imported:
            return "has a cluster in this scope"
        if self.wildcard is not None:
            return f"is served in this scope by the wildcard host {self.wildcard}"
        if self.fate == LISTENER and self.listeners:
            first = self.listeners[0]
            return f"is carried in this scope by outbound listener {first.address}:{first.port}"
        return "is not in this scope"

    def __str__(self) -> str:
        """Prose: verdict, then the steps."""
        lines = [f"{self.hostname} {self.verdict}"]
        lines.extend(f"  - {step}" for step in self.steps)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "hostname": self.hostname,
            "imported": self.imported,
            "service": None if self.service is None else _service_dict(self.service),
            "steps": list(self.steps),
            "listeners": [listener.to_dict() for listener in self.listeners],
            "query": self.query or self.hostname,
            "port": self.port,
            "fate": self.fate,
            "policy": self.policy,
            "aliasFor": self.alias_for,
            "wildcard": self.wildcard,
        }


@attrs.frozen
class _Query:
    """A host string taken apart: the name or IP, and the port when one was given."""

    text: str
    host: str
    port: int | None


def _parse(text: str) -> _Query:
    """``host``, ``host:port``, ``IP``, ``IP:port`` or ``[IPv6]:port``."""
    raw = text.strip()
    host, port = raw, None
    if raw.startswith("["):
        inside, _, rest = raw[1:].partition("]")
        host = inside
        if rest.startswith(":") and rest[1:].isdigit():
            port = int(rest[1:])
    elif raw.count(":") == 1:
        name, _, number = raw.partition(":")
        if number.isdigit():
            host, port = name, int(number)
    return _Query(text=text, host=host.rstrip(".").lower(), port=port)


def _resolve_name(scope: SidecarScope, host: str) -> tuple[str, str | None]:
    """The name the workload's resolver reaches, and a step saying so when it differs.

    Kubernetes pods search ``<ns>.svc.<domain>``, ``svc.<domain>`` and ``<domain>`` before
    the name itself: the first declared candidate wins; an undeclared single label stays in
    the pod's own namespace, other undeclared names are used as given.
    """
    if is_ip_address(host) or is_wildcard(host):
        return host, None
    declared = scope.mesh.services_by_hostname
    if host in declared:
        return host, None
    domain = scope.mesh.config.cluster_domain
    namespace = scope.workload.namespace
    candidates = [f"{host}.{suffix}" for suffix in (f"{namespace}.svc.{domain}", f"svc.{domain}")]
    candidates.append(f"{host}.{domain}")
    found = next((c for c in candidates if c in declared), None)
    if found is None and "." not in host:
        found = candidates[0]
    if found is None:
        return host, None
    return found, (
        f"{host} resolves to {found} from namespace {namespace} (the pod's DNS search path)"
    )


def explain_host(scope: SidecarScope, hostname: str) -> HostExplanation:
    """Explain what the scope does with a host: visibility, imports, listeners, the policy.

    ``hostname`` may be a fully qualified name, a short name (``reviews``,
    ``httpbin.httpbin``: resolved as the workload's namespace would), ``host:port`` or an IP
    address. When no outbound listener, chain or virtual host claims the traffic, the last
    step says what the outbound traffic policy does with it (T5..T9).
    """
    query = _parse(hostname)
    name, resolved = _resolve_name(scope, query.host)
    mesh = scope.mesh
    namespace = scope.namespace
    steps: list[str] = [] if resolved is None else [resolved]
    declared = mesh.services_by_hostname.get(name, ())
    if not declared and not is_ip_address(name):
        steps.append("no Service or ServiceEntry in the mesh declares this hostname")
    if is_ip_address(name):
        steps.extend(
            f"{name} is the address of {s.hostname} ({s.namespace})"
            for s in scope.services
            if s.address == name
        )
    for service in declared:
        visible = mesh.service_visible(service, namespace)
        export = ",".join(sorted(mesh.export_of(service)))
        steps.append(
            f"{service.kind} in {service.namespace} (exportTo {export}) is "
            + ("visible" if visible else "not visible")
            + f" to {namespace} (4.2)"
        )
    steps.extend(_explain_imports(scope, declared, name))
    chosen = scope.service(name)
    listeners = tuple(li for li in outbound_listeners(scope) if _concerns(li, name, query.port))
    routes = {r.name: r for r in outbound_routes(scope)} if listeners else {}
    wildcard = next(
        (w for li in listeners if (w := _covering_wildcard(li, name)) is not None), None
    )
    carried = False
    for listener in listeners:
        step, carries = _listener_step(listener, routes, name)
        steps.append(step)
        carried = carried or carries
    alias = chosen is not None and chosen.resolution == ALIAS_RESOLUTION
    if chosen is not None:
        ports = ", ".join(str(p) for p in chosen.ports)
        if alias:
            # 12.7 / L4: istiod builds no cluster for an alias; its name rides on the routes
            # of the service it points at.
            steps.append(
                f"in the scope's services from {chosen.namespace} as an alias of "
                f"{chosen.alias_for}: istiod builds no cluster for it (L4)"
            )
        else:
            steps.append(
                f"in the scope-wide union from {chosen.namespace} with ports {ports} (5.8)"
            )
            rule = scope.destination_rule(name)
            if rule is not None:
                steps.append(f"outbound traffic uses {rule} (4.4.4)")
    fate = LISTENER
    if not carried:
        fate, sentence = _unclaimed(scope, query.port)
        steps.append(sentence)
    return HostExplanation(
        hostname=name,
        imported=chosen is not None and not alias,
        service=chosen,
        steps=tuple(steps),
        listeners=listeners,
        query=hostname,
        port=query.port,
        fate=fate,
        policy=scope.outbound_mode,
        wildcard=None if chosen is not None or name in _carried_names(listeners) else wildcard,
    )


def _carried_names(listeners: tuple[OutboundListener, ...]) -> frozenset[str]:
    return frozenset(h for li in listeners for h in li.hosts)


def _covering_wildcard(listener: OutboundListener, name: str) -> str | None:
    """The wildcard host of ``listener`` that covers ``name`` (W5), if any."""
    if is_ip_address(name):
        return None
    return next((h for h in listener.hosts if is_wildcard(h) and subset_of(name, h)), None)


def _concerns(listener: OutboundListener, name: str, port: int | None) -> bool:
    """Whether the listener carries, lost, serves by wildcard, or listens on ``name``."""
    if port is not None and listener.port != port:
        return False
    return (
        name in listener.hosts
        or name in listener.shadowed
        or listener.address == name
        or _covering_wildcard(listener, name) is not None
    )


def _listener_step(
    listener: OutboundListener, routes: dict[str, OutboundRoute], name: str
) -> tuple[str, bool]:
    """What ``listener`` does with ``name``, and whether it carries the traffic."""
    where = f"{listener.address}:{listener.port}"
    owner = listener.route_egress_index
    if owner is None:
        owner = listener.egress_index
    route = routes.get(listener.route) if listener.route else None
    if route is not None and name in route.hosts:
        virtual_host = (
            f"carried by outbound listener {where} as a virtual host of route "
            f'"{listener.route}", made from the services of egress[{owner}] (R1..R4)'
        )
        return virtual_host, True
    if name in listener.hosts:
        return f"carried by outbound listener {where}", True
    wildcard = _covering_wildcard(listener, name)
    if wildcard is not None:
        how = (
            f'a virtual host of route "{listener.route}"'
            if listener.route
            else "a filter chain matched by SNI"
        )
        served = (
            f"served by outbound listener {where} through the imported wildcard host "
            f"{wildcard}, as {how} (W5)"
        )
        return served, True
    if listener.address == name and name not in listener.shadowed:
        return f"outbound listener {where} listens on this address", True
    lost = (
        f"asked for {where} but lost it: the port belongs to egress[{owner}] "
        "(most specific port, MSP1/MSP2)"
    )
    return lost, False


def _unclaimed(scope: SidecarScope, port: int | None) -> tuple[str, str]:
    """The fate of traffic no listener, chain or virtual host claims, with the rules (T5..T9).

    Read from the scope's policy (T1): the Sidecar's ``outboundTrafficPolicy`` (with its
    ``egressProxy``, T3), else MeshConfig's mode.
    """
    on_port = "" if port is None else f" on port {port}"
    head = f"no outbound listener claims it{on_port}"
    mode = scope.outbound_mode
    if scope.workload.interception_mode == "NONE":
        return BYPASS, (
            f"{head}: the proxy captures nothing (interception mode NONE), so traffic the "
            "application does not send to the proxy's own sockets bypasses it (T9)"
        )
    if port == _VIRTUAL_OUTBOUND_PORT:
        return BLACKHOLE, f"{head}: port 15001 itself is always blackholed (T6)"
    wildcard = next(
        (
            li
            for li in outbound_listeners(scope)
            if port is not None and li.port == port and li.address == WILDCARD_ADDRESS
        ),
        None,
    )
    if wildcard is not None and wildcard.route:
        fate, target = _policy_target(scope, http=True)
        return fate, (
            f"{head}: HTTP for it reaches listener {wildcard.address}:{port}; under {mode}, "
            f'the catch-all virtual host of route "{wildcard.route}" {target} (T8)'
        )
    fate, target = _policy_target(scope, http=False)
    if wildcard is not None:
        return fate, (
            f"{head}: listener {wildcard.address}:{port} has no chain for it; under {mode}, "
            f"its default chain {target} (T7)"
        )
    text = f"{head}: under {mode}, the virtual outbound listener {target} (T5, T6)"
    if mode == "ALLOW_ANY_DYNAMIC_DNS":
        text += "; plain-text HTTP goes to AllowAnyDynamicDNSCluster instead (T6)"
    if port is None and fate == BLACKHOLE:
        text += "; HTTP to a port with an outbound HTTP route gets a direct 502 instead (T8)"
    return fate, text


def _policy_target(scope: SidecarScope, *, http: bool) -> tuple[str, str]:
    """Where the policy sends unclaimed traffic (T3, T4, T5, T8)."""
    mode = scope.outbound_mode
    policy = scope.outbound_traffic_policy
    if mode == "ALLOW_ANY_DYNAMIC_DNS" and http:
        return DYNAMIC_DNS, "sends it to the dynamic-forward-proxy AllowAnyDynamicDNSCluster"
    if mode in {"ALLOW_ANY", "ALLOW_ANY_DYNAMIC_DNS"}:
        proxy = None if policy is None else policy.egress_proxy
        if proxy is not None:  # T3
            # Without a port istiod names the cluster with port 0 (no service to take it from).
            number = 0 if proxy.port is None or proxy.port.number is None else proxy.port.number
            cluster = f"outbound|{number}|{proxy.subset or ''}|{proxy.host}"
            return EGRESS_PROXY, f"sends it to the egress proxy, cluster {cluster} (T3)"
        return PASSTHROUGH, "passes it through to its original destination (PassthroughCluster)"
    if http:
        return CATCH_ALL_502, "answers with a direct HTTP 502"
    return BLACKHOLE, "blackholes it (BlackHoleCluster closes the connection)"


def _explain_imports(
    scope: SidecarScope, declared: tuple[MeshService, ...], hostname: str
) -> Iterator[str]:
    """Per egress listener, how it treated the hostname (5.4), and ExternalName aliases (step 5)."""
    for service in declared:
        if service.resolution == ALIAS_RESOLUTION:
            yield (
                f"a Kubernetes ExternalName Service in {service.namespace} aliasing "
                f"{service.alias_for}: it gets no listener, cluster or virtual host of its own; "
                f"the routes of {service.alias_for} carry its name when the egress host entry "
                "that imports that service also includes this name (5.4 step 5, L4)"
            )
    for egress in scope.egress:
        yield from _explain_listener(scope, egress, declared, hostname)
        for service in egress.services:
            if any(a.hostname == hostname for a in service.aliases):
                yield (
                    f"egress[{egress.index}]: imported {service.hostname} keeps this name as an "
                    "alias, so its virtual hosts carry it (5.4 step 5)"
                )


def _explain_listener(
    scope: SidecarScope,
    egress: EgressScope,
    declared: tuple[MeshService, ...],
    hostname: str,
) -> Iterator[str]:
    classes, _ = _classify(egress.listener.hosts, scope.namespace)
    port = _port_filter(egress.listener)
    label = f"egress[{egress.index}]"
    imported = [s for s in egress.services if s.hostname == hostname]
    for service in declared:
        verdict, key = _import_decision(classes, service, port)
        if verdict is Verdict.EXCLUDED:
            yield f"{label}: excluded by a '~' entry (5.4 step 1)"
        elif verdict is Verdict.UNMATCHED or key is None:
            yield f"{label}: no host entry matches it in {service.namespace} or '*' (5.4)"
        elif verdict is Verdict.NO_PORT:
            yield f"{label}: matched by key {key.key!r} but has no port {port} (5.4 step 4)"
        elif any(s.namespace == service.namespace for s in imported):
            yield f"{label}: imported from {service.namespace} by key {key.key!r} (5.4)"
        elif not scope.mesh.in_visibility_index(service, scope.namespace):
            yield f"{label}: matched by key {key.key!r} but not visible (4.2)"
        else:
            yield f"{label}: the copy in {service.namespace} lost to another namespace (5.5)"
    for vs in egress.virtual_services:
        if any(host == hostname for host, _ in vs.destinations_for(scope.namespace)):
            yield f"{label}: VirtualService {vs.namespace}/{vs.name} routes to it (5.7)"
