"""Parts of a valid Sidecar: connection pools, server TLS, outbound policies, listeners."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

import attrs
from hypothesis import strategies as st

from sidecar_model.model import (
    CaptureMode,
    ConnectionKeepalive,
    ConnectionPoolSettings,
    Destination,
    H2UpgradePolicy,
    HTTPSettings,
    IstioEgressListener,
    IstioIngressListener,
    OutboundTrafficPolicy,
    OutboundTrafficPolicyMode,
    Port,
    PortSelector,
    ServerTLSSettings,
    Sidecar,
    TcpKeepalive,
    TCPSettings,
    TLSMode,
    TLSProtocol,
    WorkloadSelector,
)
from sidecar_model.strategies._values import (
    CIPHERS,
    FQDN_POOL,
    HOST_POOL,
    IP_POOL,
    LABEL_KEYS,
    LABEL_VALUES,
    MAX_INT32,
    MODERN_TLS,
    NAMESPACE_POOL,
    PORT_NAMES,
    PROTOCOL_NAMES,
    Draw,
    drawn,
    durations,
    host_entry,
    optional,
    port_numbers,
    rarely,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

_MAYBE_DURATION: Final = optional(durations())
_MAYBE_COUNT: Final = optional(st.integers(0, MAX_INT32))
_TCP_SETTINGS: Final = st.builds(
    TCPSettings,
    max_connections=_MAYBE_COUNT,
    connect_timeout=_MAYBE_DURATION,
    tcp_keepalive=rarely(
        st.builds(
            TcpKeepalive,
            probes=optional(st.integers(0, 10)),
            time=_MAYBE_DURATION,
            interval=_MAYBE_DURATION,
        )
    ),
    max_connection_duration=_MAYBE_DURATION,
    idle_timeout=_MAYBE_DURATION,
)


def _one_upgrade_choice(settings: HTTPSettings) -> HTTPSettings:
    # V35: useClientProtocol and h2UpgradePolicy UPGRADE contradict each other.
    if settings.h2_upgrade_policy is H2UpgradePolicy.UPGRADE and settings.use_client_protocol:
        return attrs.evolve(settings, use_client_protocol=False)
    return settings


_HTTP_SETTINGS: Final = st.builds(
    HTTPSettings,
    http1_max_pending_requests=_MAYBE_COUNT,
    http2_max_requests=_MAYBE_COUNT,
    max_requests_per_connection=_MAYBE_COUNT,
    max_retries=_MAYBE_COUNT,
    idle_timeout=_MAYBE_DURATION,
    h2_upgrade_policy=optional(st.sampled_from(H2UpgradePolicy)),
    use_client_protocol=optional(st.booleans()),
    max_concurrent_streams=_MAYBE_COUNT,
    http2_keep_alive=rarely(
        st.builds(ConnectionKeepalive, interval=durations(), timeout=durations())
    ),
).map(_one_upgrade_choice)


def _not_empty(pool: ConnectionPoolSettings) -> ConnectionPoolSettings:
    # V34: a pool needs tcp or http settings.
    return pool if pool.tcp or pool.http else ConnectionPoolSettings(tcp=TCPSettings())


def connection_pools(*, http: bool = True) -> st.SearchStrategy[ConnectionPoolSettings]:
    """Valid connection pools (V34-V37): tcp and/or http settings, durations of whole ms.

    ``http=False`` leaves out the http settings, as a pool on a non-HTTP port needs (V17).
    """
    return st.builds(
        ConnectionPoolSettings,
        tcp=optional(_TCP_SETTINGS),
        http=optional(_HTTP_SETTINGS, enabled=http),
    ).map(_not_empty)


_CERTIFIED_MODES: Final = frozenset({TLSMode.SIMPLE, TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL})
_MUTUAL_MODES: Final = frozenset({TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL})
# V16: ISTIO_MUTUAL and AUTO_PASSTHROUGH are not for Sidecar ingress listeners.
_TLS_MODES: Final = st.sampled_from(
    (None, TLSMode.PASSTHROUGH, TLSMode.SIMPLE, TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL)
)
_CRLS: Final = optional(st.just("/etc/certs/crl.pem"))
_CIPHER_LISTS: Final = st.lists(st.sampled_from(CIPHERS), max_size=2, unique=True)
_MODERN_VERSIONS: Final = optional(st.sampled_from(MODERN_TLS))
# V25: TLS 1.0 only with cipher suites that work with it.
_ANY_MIN_VERSION: Final = optional(st.sampled_from((*MODERN_TLS, TLSProtocol.TLSV1_0)))


@st.composite
def _tls(draw: Draw) -> ServerTLSSettings:
    mode = draw(_TLS_MODES)
    certificate = key = ca = crl = None
    if mode in _CERTIFIED_MODES:  # V32; PASSTHROUGH takes none (V29)
        certificate, key = "/etc/certs/server.pem", "/etc/certs/key.pem"
    if mode in _MUTUAL_MODES:
        ca, crl = "/etc/certs/ca.pem", draw(_CRLS)  # V33: no CRL with SIMPLE
    ciphers = tuple(draw(_CIPHER_LISTS))
    return ServerTLSSettings(
        mode=mode,
        server_certificate=certificate,
        private_key=key,
        ca_certificates=ca,
        ca_crl=crl,
        cipher_suites=ciphers,
        min_protocol_version=draw(_ANY_MIN_VERSION if ciphers else _MODERN_VERSIONS),
        max_protocol_version=draw(_MODERN_VERSIONS),
    )


def server_tls_settings() -> st.SearchStrategy[ServerTLSSettings]:
    """TLS settings valid on a Sidecar ingress listener with an HTTPS or TLS port (V16, V25-V33).

    PASSTHROUGH without certificates, SIMPLE with a certificate and key, or (OPTIONAL_)MUTUAL
    with a client CA bundle too; modern protocol versions, valid and distinct cipher suites.
    """
    return _tls()


def _default_endpoints() -> st.SearchStrategy[str]:
    """``defaultEndpoint`` values V15 accepts."""
    hosts_ = st.sampled_from(("127.0.0.1", "0.0.0.0", "[::1]", "[::]", ""))  # noqa: S104
    sockets = st.sampled_from(("unix:///var/run/app.sock", "unix://@app"))
    return st.builds("{}:{}".format, hosts_, port_numbers()) | sockets


def outbound_traffic_policies() -> st.SearchStrategy[OutboundTrafficPolicy]:
    """Valid outbound policies: an ``egressProxy`` only with ALLOW_ANY (V39)."""
    proxy = st.builds(
        Destination,
        host=st.sampled_from(FQDN_POOL),
        subset=st.sampled_from((None, "v1", "canary")),
        port=st.builds(PortSelector, number=port_numbers()),
    )
    plain = st.builds(
        OutboundTrafficPolicy, mode=st.sampled_from((None, *OutboundTrafficPolicyMode))
    )
    proxied = st.builds(
        OutboundTrafficPolicy, mode=st.just(OutboundTrafficPolicyMode.ALLOW_ANY), egress_proxy=proxy
    )
    return plain | proxied


def _optional_tuple(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen(kw_only=True)
class Features:
    """What :func:`sidecars` may put in a Sidecar."""

    max_ingress: int = 2
    max_egress: int = 3
    max_hosts: int = 4
    selector: bool | None = None
    tls: bool = True
    connection_pools: bool = True
    outbound_policy: bool = True
    unix_sockets: bool = True
    exclusions: bool = True
    namespaces: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)
    #: Host names egress hosts favour (a mesh's services), besides generated ones.
    dns_names: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_tuple)


class Kit:
    """The strategies one set of :class:`Features` draws from, built once.

    Building a strategy costs far more than drawing from it, so the draw functions below
    only draw from these.
    """

    def __init__(self, features: Features) -> None:
        self.features = features
        some = optional
        self.booleans = st.booleans()
        self.selector_labels = st.dictionaries(
            st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), min_size=1, max_size=3
        )  # V8: a selector names labels
        self.ingress_numbers = [
            st.lists(port_numbers(), min_size=m, max_size=max(m, features.max_ingress), unique=True)
            for m in (0, 1)
        ]  # V14: distinct ports
        self.egress_numbers = [
            st.lists(port_numbers(), min_size=m, max_size=max(m, features.max_egress), unique=True)
            for m in (0, 1, 2)
        ]  # V21: distinct ports
        sockets = ("unix:///var/run/app.sock", "unix://@proxy", "unix:///tmp/b.sock")
        self.ingress_port = port_numbers()
        self.sockets = st.lists(st.sampled_from(sockets), max_size=2, unique=True)  # V21
        self.protocol = st.sampled_from(
            (None, *PROTOCOL_NAMES, *(name.lower() for name in PROTOCOL_NAMES))
        )
        self.port_name = st.sampled_from((None, *PORT_NAMES))
        self.ip = st.sampled_from((None, *IP_POOL))
        self.capture = st.sampled_from((None, *CaptureMode))
        self.socket_capture = st.sampled_from((None, CaptureMode.DEFAULT, CaptureMode.NONE))
        self.endpoint = some(_default_endpoints())
        self.tls = some(server_tls_settings(), enabled=features.tls)
        self.pool = rarely(connection_pools(), enabled=features.connection_pools)
        self.tcp_pool = rarely(connection_pools(http=False), enabled=features.connection_pools)
        self.policy = some(outbound_traffic_policies(), enabled=features.outbound_policy)
        namespaces = (".", "*", *(features.namespaces or NAMESPACE_POOL))
        self.namespace_keys = st.lists(
            st.sampled_from(namespaces), min_size=1, max_size=3, unique=True
        )
        # "*" is drawn separately: next to other names of its namespace it repeats them (V24).
        dns = st.sampled_from([h for h in features.dns_names or HOST_POOL if h != "*"])
        self.dns_names = st.lists(dns, min_size=1, max_size=2, unique=True)
        excluded = st.builds(host_entry, st.sampled_from(namespaces).map("~".__add__), dns)
        self.exclusions = st.lists(excluded, max_size=2)
        self.small_index = st.integers(0, 7)


kit_for = functools.lru_cache(maxsize=64)(Kit)


def ingress_listeners(
    *, tls: bool = True, connection_pools: bool = True
) -> st.SearchStrategy[IstioIngressListener]:
    """One valid ingress listener (V12-V17); a list of them needs distinct port numbers (V14)."""
    kit = kit_for(Features(tls=tls, connection_pools=connection_pools))
    return drawn(_draw_ingress_anywhere, kit)


def _draw_ingress_anywhere(draw: Draw, kit: Kit) -> IstioIngressListener:
    return _draw_ingress(draw, kit, draw(kit.ingress_port))


def _draw_ingress(draw: Draw, kit: Kit, number: int) -> IstioIngressListener:
    port = Port(number=number, protocol=draw(kit.protocol), name=draw(kit.port_name))
    parsed = port.parsed_protocol
    tls = draw(kit.tls) if parsed.is_tls else None  # V16
    pool = draw(kit.pool if parsed.is_http else kit.tcp_pool)  # V17
    return IstioIngressListener(
        port=port,
        bind=draw(kit.ip),
        capture_mode=draw(kit.capture),
        default_endpoint=draw(kit.endpoint),
        tls=tls,
        connection_pool=pool,
    )


def egress_listeners(
    *, namespaces: Sequence[str] | None = None, exclusions: bool = True, max_hosts: int = 4
) -> st.SearchStrategy[IstioEgressListener]:
    """One valid catch-all egress listener: its hosts repeat nothing (V22-V24)."""
    kit = kit_for(Features(namespaces=namespaces, exclusions=exclusions, max_hosts=max_hosts))
    return drawn(_draw_catch_all, kit)


def _draw_catch_all(draw: Draw, kit: Kit) -> IstioEgressListener:
    return IstioEgressListener(hosts=_draw_hosts(draw, kit, None))


def _draw_hosts(draw: Draw, kit: Kit, own_namespace: str | None) -> tuple[str, ...]:
    """A listener's hosts: at least one import, nothing selected twice (V22, V24)."""
    keys = draw(kit.namespace_keys)
    if "." in keys and own_namespace in keys:
        keys.remove(own_namespace)  # "." is the own namespace: naming both repeats hosts (V24)
    entries: list[str] = []
    if keys[0] == "*" and draw(kit.booleans):
        entries.append("*/*")  # it selects everything, so it stands alone (V24)
    else:
        for key in keys:
            whole = key != "*" and draw(kit.booleans)
            names = ["*"] if whole else draw(kit.dns_names)
            entries.extend(f"{key}/{name}" for name in names)
    limit = max(1, kit.features.max_hosts)
    entries = entries[:limit]
    if kit.features.exclusions:
        excluded = draw(kit.exclusions)
        if draw(kit.booleans):  # exclude part of what the listener imports: the case that matters
            excluded.insert(0, "~" + entries[draw(kit.small_index) % len(entries)])
        entries.extend(excluded[: limit - len(entries)])
    return tuple(entries)


def _draw_egress(
    draw: Draw, kit: Kit, own_namespace: str | None, number: int | None, bind: str | None
) -> IstioEgressListener:
    hosts_ = _draw_hosts(draw, kit, own_namespace)
    if number is None:
        return IstioEgressListener(hosts=hosts_)
    port = Port(number=number, protocol=draw(kit.protocol), name=draw(kit.port_name))
    if number == 0:  # a Unix domain socket listener (V21)
        return IstioEgressListener(
            port=port, bind=bind, capture_mode=draw(kit.socket_capture), hosts=hosts_
        )
    return IstioEgressListener(
        port=port, bind=draw(kit.ip), capture_mode=draw(kit.capture), hosts=hosts_
    )


def draw_sidecar(  # noqa: PLR0913 - what a breaker may ask for
    draw: Draw,
    kit: Kit,
    own_namespace: str | None,
    *,
    min_ingress: int = 0,
    min_egress: int = 0,
    catch_all: bool | None = None,
) -> Sidecar:
    selector = kit.features.selector
    if selector is None:
        selector = draw(kit.booleans)
    labels = draw(kit.selector_labels) if selector else None
    ingress = tuple(_draw_ingress(draw, kit, n) for n in draw(kit.ingress_numbers[min_ingress]))
    egress = _draw_egress_listeners(draw, kit, own_namespace, min_egress, catch_all=catch_all)
    pool = draw(kit.pool)
    policy = draw(kit.policy)
    if not (ingress or egress or pool or policy):  # V9: a Sidecar must configure something
        egress = (IstioEgressListener(hosts=("./*",)),)
    return Sidecar(
        workload_selector=None if labels is None else WorkloadSelector(labels=labels),
        ingress=ingress,
        egress=egress,
        inbound_connection_pool=pool,
        outbound_traffic_policy=policy,
    )


def _draw_egress_listeners(
    draw: Draw, kit: Kit, own_namespace: str | None, minimum: int, *, catch_all: bool | None
) -> tuple[IstioEgressListener, ...]:
    numbers: list[int | None] = list(draw(kit.egress_numbers[minimum]))
    if not numbers:
        return ()
    if draw(kit.booleans) if catch_all is None else catch_all:
        numbers[-1] = None  # V20: the catch-all comes last
    binds: list[str | None] = [None] * len(numbers)
    if kit.features.unix_sockets:
        ported = sum(number is not None for number in numbers)
        sockets = draw(kit.sockets)[:ported]
        numbers[: len(sockets)] = [0] * len(sockets)
        binds[: len(sockets)] = sockets
    return tuple(
        _draw_egress(draw, kit, own_namespace, number, bind)
        for number, bind in zip(numbers, binds, strict=True)
    )
