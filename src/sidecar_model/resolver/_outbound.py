"""The outbound listeners and routes of a scope, cached per kind of proxy (§5.11 to §5.16)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from sidecar_model._results import gc_paused

if TYPE_CHECKING:
    from sidecar_model.resolver._scope import SidecarScope, _Core
from sidecar_model.resolver._builder import _Builder
from sidecar_model.resolver._cache import cache_of
from sidecar_model.resolver._listener_values import (
    BLACKHOLE,
    DYNAMIC_DNS,
    PASSTHROUGH,
    OutboundListener,
    OutboundRoute,
    UnmatchedTraffic,
)

#: The outbound traffic policy modes under which unknown traffic passes through (T5).
_PASSING: Final = frozenset({"ALLOW_ANY", "ALLOW_ANY_DYNAMIC_DNS"})
#: MeshConfig ``proxyListenPort`` when unset: the virtual outbound listener's port (T6).
_VIRTUAL_OUTBOUND_PORT: Final = 15001

# =========================================================================== unmatched (§5.16.1)


def unmatched_target(scope: SidecarScope) -> str:
    """T5, T3: where traffic nothing claims goes: passthrough, the egress proxy, or blackhole.

    It depends on the Sidecar (or none), the mesh's policy and whether the proxy is a
    gateway only: the same for every scope of one (Sidecar, namespace) core.
    """
    return _target(scope)


def _target(scope: SidecarScope) -> str:
    if scope.outbound_mode not in _PASSING:
        return BLACKHOLE
    policy = scope.outbound_traffic_policy
    proxy = None if policy is None else policy.egress_proxy
    if proxy is None:
        return PASSTHROUGH
    # T3: istiod's GetDestinationCluster without a service: the destination's own port.
    port = proxy.port.number if proxy.port is not None and proxy.port.number else 0
    return f"outbound|{port}|{proxy.subset or ''}|{proxy.host}"


def _dynamic_dns(scope: SidecarScope) -> bool:
    """T6, T8: the mesh mode ALLOW_ANY_DYNAMIC_DNS, not overridden by the Sidecar."""
    return scope.outbound_mode == "ALLOW_ANY_DYNAMIC_DNS"


def _catch_all_virtual_host(scope: SidecarScope) -> tuple[str, str]:
    """T8: the name and the target of the ``*`` virtual host ending every plain route."""
    if _dynamic_dns(scope):
        return "allow_any_dynamic_dns", DYNAMIC_DNS
    target = unmatched_target(scope)
    if target == BLACKHOLE:
        return "block_all", "direct HTTP 502 response"
    return "allow_any", target


def unmatched_traffic(scope: SidecarScope) -> UnmatchedTraffic:
    """What happens to the proxy's outbound traffic on ports no listener claims (T5, T6, T9).

    With iptables capture (interception mode REDIRECT or TPROXY) the virtual outbound
    listener on the wildcard at port 15001 hands every connection to the listener of its
    original destination and sends the rest to the policy's target; with interception NONE
    nothing is captured and such traffic bypasses the proxy.
    """
    captured = scope.workload.interception_mode != "NONE"  # T9
    port = scope.mesh.config.proxy_listen_port or _VIRTUAL_OUTBOUND_PORT
    return UnmatchedTraffic(
        mode=scope.outbound_mode,
        captured=captured,
        listener=f"{scope.workload.ip_family.wildcard}:{port}" if captured else None,
        target=unmatched_target(scope),
        http_target=DYNAMIC_DNS if captured and _dynamic_dns(scope) else None,
    )


# =========================================================================== listeners (§5.11)


def _endpoint_ips(core: _Core) -> frozenset[str]:
    """Endpoints of the scope's catch-all services that may get per-endpoint listeners (L5)."""
    memo = core.memo
    found = memo.endpoint_ips
    if found is None:
        found = frozenset(
            endpoint
            for egress in core.egress
            if egress.listener.port is None
            for service in egress.services
            if service.resolution == "NONE"
            for endpoint in service.endpoints
        )
        memo.endpoint_ips = found
    return found


def _proxy_kind(scope: SidecarScope) -> tuple[bool, bool]:
    """Whether the proxy captures nothing (L1), and whether its privileges matter (L3)."""
    capture_none = scope.workload.interception_mode == "NONE"
    # Privileges only matter where a listener binds a real socket (L1, L3).
    binds = capture_none or scope._core.binds_sockets  # noqa: SLF001 - the scope's own data
    return capture_none, scope.workload.unprivileged and binds


def outbound_listeners(scope: SidecarScope) -> tuple[OutboundListener, ...]:
    """The outbound listeners of a scope after most-specific-port merging (§5.11, §5.13).

    Computed once per scope and kind of proxy (interception mode, privileges).
    """
    core = scope._core  # noqa: SLF001 - the scope's own cache
    capture_none, unprivileged = _proxy_kind(scope)
    # L5: the proxy's own IP is no endpoint of its own outbound listeners; it only matters
    # (and only splits the cache) when a passthrough service of the scope lists it.
    ip = scope.workload.ip
    own_ip = ip if ip is not None and not capture_none and ip in _endpoint_ips(core) else None
    # Only the primary wildcard and loopback matter: dual-stack shares IPv4's listeners.
    key = (capture_none, unprivileged, own_ip, scope.workload.ip_family.wildcard)
    cache = core.memo.listeners
    listeners = cache.get(key)
    if listeners is None:
        # Scopes of other (Sidecar, namespace) pairs often import exactly the same
        # services and VirtualServices per egress listener: they share the listeners.
        # T7: the listeners' fall-through target depends on the policy too, which is the
        # same for every scope of the core but not across cores.
        shared = cache_of(scope.mesh).shared_listeners
        shared_key = (_signature(core), key, unmatched_target(scope))
        listeners = shared.get(shared_key)
        if listeners is None:
            with gc_paused():
                listeners = _build_listeners(scope, capture_none, unprivileged, own_ip)
            shared[shared_key] = listeners
        cache[key] = listeners
    return listeners


def _own_addresses(core: _Core) -> frozenset[str]:
    """The addresses the scope's services and binds use themselves (not as endpoints)."""
    memo = core.memo
    found = memo.own_addresses
    if found is None:
        found = frozenset(
            address
            for e in core.egress
            for address in (e.listener.bind or "", *(s.address for s in e.services))
        )
        memo.own_addresses = found
    return found


@attrs.frozen(cache_hash=True)
class _Signature:
    """Everything of a scope its outbound listeners depend on (L1..L7, R1..R4).

    Per egress listener, in order: the listener itself (port, bind, capture mode), its
    services and its VirtualServices. Two scopes with equal signatures get equal listeners
    for the same kind of proxy. Hashed once: it is long.
    """

    parts: tuple[Any, ...]


def _signature(core: _Core) -> _Signature:
    memo = core.memo
    found = memo.signature
    if found is None:
        found = memo.signature = _Signature(
            tuple(
                (
                    e.listener.port,
                    e.listener.bind,
                    e.listener.capture_mode,
                    e.services,
                    e.virtual_services,
                )
                for e in core.egress
            )
        )
    return found


def _build_listeners(
    scope: SidecarScope,
    capture_none: bool,  # noqa: FBT001
    unprivileged: bool,  # noqa: FBT001
    own_ip: str | None,
) -> tuple[OutboundListener, ...]:
    """Build a scope's listeners; for a proxy that is an endpoint, derive them when exact.

    Skipping the proxy's own address (L5) only removes the per-endpoint entries keyed by
    it. Unless something else of the scope uses that address (a service VIP, a bind) or
    the filter-chain flag folds endpoints into wildcard entries, the result is the shared
    one without those entries, which saves a build per endpoint workload.
    """
    core = scope._core  # noqa: SLF001 - the scope's own cache
    if (
        own_ip is not None
        and not scope.mesh.config.headless_filter_chain_listener
        and own_ip not in _own_addresses(core)
    ):
        shared = outbound_listeners(
            attrs.evolve(scope, workload=attrs.evolve(scope.workload, ip=None))
        )
        return tuple(listener for listener in shared if listener.address != own_ip)
    return _Builder(
        scope,
        capture_none,
        unprivileged,
        own_ip,
        unmatched_target(scope),
        signature=_signature(core),
    ).build()


def outbound_routes(scope: SidecarScope) -> tuple[OutboundRoute, ...]:
    """The HTTP routes the scope's outbound listeners use, with their virtual hosts (§5.12).

    One per route name that some outbound listener uses (sniffed listeners on a service
    address, route ``"<hostname>:P"``, are not listed). Virtual host names after route
    ownership (MSP1): a host the catch-all imports on a port a ported listener owns is not
    among them.
    """
    capture_none, unprivileged = _proxy_kind(scope)
    builder = _Builder(scope, capture_none, unprivileged, signature=_signature(scope._core))  # noqa: SLF001
    builder.build()
    catch_all, target = _catch_all_virtual_host(scope)  # T8
    return tuple(
        OutboundRoute(
            name=name,
            port=port,
            egress_index=owner,
            hosts=tuple(dict.fromkeys(hosts)),
            catch_all=catch_all,
            catch_all_target=target,
        )
        for name, (port, owner, hosts) in builder.routes.items()
    )
