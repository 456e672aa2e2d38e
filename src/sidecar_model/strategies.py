"""Hypothesis strategies for Istio Sidecars, their resources, and whole meshes.

Install the extra (``pip install sidecar-model[hypothesis]``) and use them in your own
property tests::

    from hypothesis import given
    from sidecar_model import strategies as sms

    @given(sms.sidecars())
    def test_my_linter_accepts_valid_sidecars(sidecar): ...

Three layers, each shrinking toward small, readable values (``a``, ``shop``, port 80):

* building blocks: :func:`dns_labels`, :func:`fqdns`, :func:`wildcard_hosts`,
  :func:`egress_hosts`, :func:`port_numbers`, :func:`protocols`, :func:`unix_binds`,
  :func:`durations`, :func:`label_maps`, :func:`ip_addresses`;
* :func:`sidecars` and :func:`resources`: valid by construction (``validate()`` reports no
  error and no warning), or, with ``valid=False``, broken in exactly one named rule
  (:class:`BrokenSidecar`, :class:`BrokenResource`);
* :func:`arbitrary_sidecars` and :func:`arbitrary_resources`: any value the model can hold,
  valid or not, for fuzzing;
* :func:`mesh_resources` and :func:`meshes`: namespaces, Services, ServiceEntries, Sidecars,
  VirtualServices, DestinationRules and workloads, for :class:`~sidecar_model.mesh.Mesh`.

Installing the package also registers these strategies with :func:`hypothesis.strategies.
from_type` (through Hypothesis' entry point), so ``st.from_type(Sidecar)`` yields valid Sidecars.
Rule codes refer to ``istio-sidecar-semantics.md`` (and ``docs/rules.md``).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar, overload

import attrs
from hypothesis import strategies as st

from sidecar_model.model import (
    CaptureMode,
    ConnectionKeepalive,
    ConnectionPoolSettings,
    Destination,
    Duration,
    H2UpgradePolicy,
    HTTPSettings,
    IstioEgressListener,
    IstioIngressListener,
    OutboundTrafficPolicy,
    OutboundTrafficPolicyMode,
    Port,
    PortSelector,
    Protocol,
    ServerTLSSettings,
    Sidecar,
    TcpKeepalive,
    TCPSettings,
    TLSCertificate,
    TLSMode,
    TLSProtocol,
    WorkloadSelector,
)
from sidecar_model.resources import (
    EXPORT_TO_ANNOTATION,
    DestinationRuleSpec,
    HTTPRoute,
    KubernetesServicePort,
    KubernetesServiceSpec,
    MatchLabelsSelector,
    NamespaceSpec,
    ObjectMeta,
    PodSpec,
    Resource,
    RouteDestination,
    RouteMatch,
    ServiceEntryPort,
    ServiceEntrySpec,
    Subset,
    VirtualServiceSpec,
)

if TYPE_CHECKING:
    import enum
    from collections.abc import Callable, Sequence

    from sidecar_model.mesh import Mesh

__all__ = [
    "BREAKABLE_RESOURCE_RULES",
    "BREAKABLE_RULES",
    "BrokenResource",
    "BrokenSidecar",
    "arbitrary_resources",
    "arbitrary_sidecars",
    "connection_pools",
    "dns_labels",
    "durations",
    "egress_hosts",
    "egress_listeners",
    "fqdns",
    "hosts",
    "ingress_listeners",
    "ip_addresses",
    "label_maps",
    "mesh_resources",
    "meshes",
    "object_metas",
    "outbound_traffic_policies",
    "port_names",
    "port_numbers",
    "protocols",
    "resources",
    "server_tls_settings",
    "sidecars",
    "unix_binds",
    "wildcard_hosts",
]

_T = TypeVar("_T")
_Draw = Any  # hypothesis' DrawFn; typed loosely so that the composites below stay readable

_NETWORKING_API_VERSIONS: Final = (
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
)
#: A few realistic names first: shrinking goes to the first one, so counterexamples read well.
_WORDS: Final = ("a", "b", "shop", "web", "db", "reviews", "ratings", "cart", "api", "payments")
_FIRST: Final = "abcdefghijklmnopqrstuvwxyz"
_INNER: Final = _FIRST + "0123456789-"
_LAST: Final = _FIRST + "0123456789"
_COMMON_PORTS: Final = (80, 443, 8080, 9080, 9090, 5432, 6379, 3306, 15000, 8443)
_PROTOCOL_NAMES: Final = tuple(p.value for p in Protocol if p is not Protocol.UNSUPPORTED)
_TLS_PROTOCOLS: Final = tuple(p.value for p in Protocol if p.is_tls)
_LABEL_KEYS: Final = ("app", "version", "tier", "team", "app.kubernetes.io/name", "track")
_CIPHERS: Final = (
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "AES128-GCM-SHA256",
)
_MODERN_TLS: Final = (TLSProtocol.TLS_AUTO, TLSProtocol.TLSV1_2, TLSProtocol.TLSV1_3)
_MAX_PORT: Final = 65535
_MAX_INT32: Final = 2**31 - 1
_MILLISECOND: Final = 1_000_000
_EPOCH: Final = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
# Sidecars draw names from these pools: one draw per name keeps generation fast, shrinking
# goes to the first entry, and the pools hold the edge cases validation accepts (a 63-character
# label, upper case, a trailing dot, an IPv6 zone, an IPv4-mapped IPv6 address).
_LONG_LABEL: Final = "l" * 63
_NAMESPACE_POOL: Final = ("shop", "default", "web", "istio-system", "team-1", "x9", _LONG_LABEL)
_HOST_POOL: Final = (
    "a.com",
    "*.example.com",
    "api.example.com",
    "reviews.shop.svc.cluster.local",
    "db.default.svc.cluster.local",
    "*.svc.cluster.local",
    "*.com",
    "istio.io.",
    "API.Example.COM",
    "x-1.y-2.io",
    "10.0.0.1.",
    f"{_LONG_LABEL}.org",
)
_FQDN_POOL: Final = tuple(host for host in _HOST_POOL if "*" not in host)
_IP_POOL: Final = (
    "127.0.0.1",
    "0.0.0.0",  # noqa: S104 - text, nothing binds here
    "::1",
    "::",
    "10.0.0.1",
    "2001:db8::1",
    "fe80::1%eth0",
    "::ffff:10.0.0.1",
)
_LABEL_VALUES: Final = ("a", "web", "v1", "v2", "shop", "", "x-1.y_2", _LONG_LABEL)
_PORT_NAMES: Final = ("http", "https", "grpc", "tcp", "tls", "web", "http-web", "p1", _LONG_LABEL)


# --------------------------------------------------------------------------- building blocks


@st.composite
def _drawn(draw: _Draw, function: Callable[..., Any], *args: Any) -> Any:  # noqa: ANN401
    """A strategy that calls ``function(draw, *args)``: the draw functions below are plain."""
    return function(draw, *args)


def _mostly(draw: _Draw, common: st.SearchStrategy[_T], rare: st.SearchStrategy[_T]) -> _T:
    """``common`` three times in four; it comes first so that shrinking goes there."""
    return draw(rare if draw(_ONE_IN_FOUR) else common)  # type: ignore[no-any-return]


def _one_in_three(draw: _Draw, strategy: st.SearchStrategy[_T]) -> _T | None:
    return draw(strategy) if draw(_ONE_IN_THREE) else None


def dns_labels(*, max_size: int = 12) -> st.SearchStrategy[str]:
    """Lower-case DNS-1123 labels, such as ``shop`` or ``x9-k``; they shrink toward ``a``.

    Mostly everyday words (cheap to draw, easy to read), sometimes arbitrary letters, digits
    and inner hyphens. Every label starts with a letter, so it is also a valid top-level domain.
    """
    if not 1 <= max_size <= 63:  # noqa: PLR2004 - the DNS-1123 label limit
        msg = f"max_size must be in 1..63, not {max_size}"
        raise ValueError(msg)
    words = st.sampled_from([w for w in _WORDS if len(w) <= max_size])
    if max_size == 1:
        return words | st.sampled_from(_FIRST)
    made = st.builds(
        "{}{}{}".format,
        st.sampled_from(_FIRST),
        st.text(_INNER, max_size=min(8, max_size - 2)),
        st.sampled_from(_LAST),
    )
    return _drawn(_mostly, words, made)


_ONE_IN_FOUR: Final = st.sampled_from((False, False, False, True))
_DOMAINS: Final = ("com", "example.com", "svc.cluster.local", "org", "io")


def fqdns(*, min_labels: int = 2, max_labels: int = 4) -> st.SearchStrategy[str]:
    """Fully qualified names such as ``a.com`` or ``reviews.svc.cluster.local``.

    Mostly a label under a familiar domain, sometimes any ``min_labels`` to ``max_labels``
    labels.
    """
    labels = dns_labels(max_size=10)
    any_labels = st.lists(labels, min_size=min_labels, max_size=max_labels).map(".".join)
    domains = [d for d in _DOMAINS if min_labels <= d.count(".") + 2 <= max_labels]
    if not domains:
        return any_labels
    familiar = st.builds("{}.{}".format, labels, st.sampled_from(domains))
    return _drawn(_mostly, familiar, any_labels)


def wildcard_hosts(*, max_labels: int = 3) -> st.SearchStrategy[str]:
    """``*`` or a wildcard domain such as ``*.a`` or ``*.example.com``."""
    return st.just("*") | fqdns(min_labels=1, max_labels=max_labels).map("*.".__add__)


def hosts() -> st.SearchStrategy[str]:
    """Host names a service or route may use: FQDNs and wildcard domains (not bare ``*``)."""
    return fqdns() | fqdns(min_labels=1, max_labels=3).map("*.".__add__)


def egress_hosts(
    *, namespaces: Sequence[str] | None = None, exclusions: bool = True
) -> st.SearchStrategy[str]:
    """Single egress ``hosts`` entries: ``ns/*``, ``./x``, ``*/x``, ``ns/*.x`` and ``~ns/x``.

    ``namespaces`` limits the namespace names used (``.`` and ``*`` are always possible);
    ``exclusions=False`` leaves out ``~`` entries. Each entry is valid on its own (V23); a
    list of them may still repeat itself (V24), which :func:`sidecars` avoids.
    """
    names = _namespace_names(namespaces)
    included = st.builds(_entry, st.sampled_from([".", "*"]) | names, _dns_names())
    if not exclusions:
        return included
    excluded = st.builds(_entry, (st.sampled_from([".", "*"]) | names).map("~".__add__), fqdns())
    return included | excluded


def port_numbers() -> st.SearchStrategy[int]:
    """Port numbers 1 to 65535, common ones (80, 443, 8080, ...) most often."""
    return st.sampled_from(_COMMON_PORTS) | st.integers(1, _MAX_PORT)


def protocols() -> st.SearchStrategy[str]:
    """Protocol names istiod accepts (V13, V21), mostly in canonical spelling, sometimes lower."""
    canonical = st.sampled_from(_PROTOCOL_NAMES)
    return canonical | canonical.map(str.lower)


def port_names() -> st.SearchStrategy[str]:
    """Port names: DNS-1123 labels such as ``http`` or ``grpc-web``."""
    return st.sampled_from(("http", "https", "grpc", "tcp", "tls", "web")) | dns_labels()


def unix_binds() -> st.SearchStrategy[str]:
    """Unix domain socket binds: ``unix:///var/run/<name>.sock`` or ``unix://@<name>``."""
    return dns_labels().map("unix:///var/run/{}.sock".format) | dns_labels().map("unix://@".__add__)


def ip_addresses() -> st.SearchStrategy[str]:
    """IP literals Go's ``netip.ParseAddr`` accepts, loopback and unspecified ones first."""
    common = st.sampled_from(("127.0.0.1", "0.0.0.0", "::1", "::"))  # noqa: S104 - text only
    return common | st.ip_addresses().map(str)


def durations(*, min_ms: int = 1, max_ms: int = 3_600_000) -> st.SearchStrategy[Duration]:
    """Durations of whole milliseconds (what pools accept, V37), written ``250ms`` or ``1.5s``."""
    millis = st.integers(min_ms, max_ms)
    return millis.map(_millis) | millis.map(lambda ms: Duration.parse(f"{ms}ms"))


def label_maps(*, min_size: int = 0, max_size: int = 3) -> st.SearchStrategy[dict[str, str]]:
    """Kubernetes label maps such as ``{"app": "shop"}``: valid keys, values without ``*``."""
    keys = st.sampled_from(_LABEL_KEYS) | dns_labels()
    return st.dictionaries(keys, dns_labels(), min_size=min_size, max_size=max_size)


def _namespace_names(namespaces: Sequence[str] | None) -> st.SearchStrategy[str]:
    return st.sampled_from(_NAMESPACE_POOL if namespaces is None else tuple(namespaces))


def _dns_names() -> st.SearchStrategy[str]:
    """The dnsName part of an egress host: ``*``, a wildcard domain or an FQDN."""
    return wildcard_hosts() | fqdns()


def _entry(namespace: str, dns_name: str) -> str:
    return f"{namespace}/{dns_name}"


def _millis(ms: int) -> Duration:
    return Duration(nanoseconds=ms * _MILLISECOND)


def _optional(strategy: st.SearchStrategy[Any], *, enabled: bool = True) -> st.SearchStrategy[Any]:
    return st.none() | strategy if enabled else st.none()


def _rarely(strategy: st.SearchStrategy[Any], *, enabled: bool = True) -> st.SearchStrategy[Any]:
    """``strategy`` one time in three, else None: for big, costly parts such as pools."""
    if not enabled:
        return st.none()
    return _drawn(_one_in_three, strategy)


_ONE_IN_THREE: Final = st.sampled_from((False, False, True))


# --------------------------------------------------------------------------- listeners

_MAYBE_DURATION: Final = _optional(durations())
_MAYBE_COUNT: Final = _optional(st.integers(0, _MAX_INT32))
_TCP_SETTINGS: Final = st.builds(
    TCPSettings,
    max_connections=_MAYBE_COUNT,
    connect_timeout=_MAYBE_DURATION,
    tcp_keepalive=_rarely(
        st.builds(
            TcpKeepalive,
            probes=_optional(st.integers(0, 10)),
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
    h2_upgrade_policy=_optional(st.sampled_from(H2UpgradePolicy)),
    use_client_protocol=_optional(st.booleans()),
    max_concurrent_streams=_MAYBE_COUNT,
    http2_keep_alive=_rarely(
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
        tcp=_optional(_TCP_SETTINGS),
        http=_optional(_HTTP_SETTINGS, enabled=http),
    ).map(_not_empty)


_CERTIFIED_MODES: Final = frozenset({TLSMode.SIMPLE, TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL})
_MUTUAL_MODES: Final = frozenset({TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL})
# V16: ISTIO_MUTUAL and AUTO_PASSTHROUGH are not for Sidecar ingress listeners.
_TLS_MODES: Final = st.sampled_from(
    (None, TLSMode.PASSTHROUGH, TLSMode.SIMPLE, TLSMode.MUTUAL, TLSMode.OPTIONAL_MUTUAL)
)
_CRLS: Final = _optional(st.just("/etc/certs/crl.pem"))
_CIPHER_LISTS: Final = st.lists(st.sampled_from(_CIPHERS), max_size=2, unique=True)
_MODERN_VERSIONS: Final = _optional(st.sampled_from(_MODERN_TLS))
# V25: TLS 1.0 only with cipher suites that work with it.
_ANY_MIN_VERSION: Final = _optional(st.sampled_from((*_MODERN_TLS, TLSProtocol.TLSV1_0)))


@st.composite
def _tls(draw: _Draw) -> ServerTLSSettings:
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
        host=st.sampled_from(_FQDN_POOL),
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
class _Features:
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


class _Kit:
    """The strategies one set of :class:`_Features` draws from, built once.

    Building a strategy costs far more than drawing from it, so the draw functions below
    only draw from these.
    """

    def __init__(self, features: _Features) -> None:
        self.features = features
        some = _optional
        self.booleans = st.booleans()
        self.selector_labels = st.dictionaries(
            st.sampled_from(_LABEL_KEYS), st.sampled_from(_LABEL_VALUES), min_size=1, max_size=3
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
            (None, *_PROTOCOL_NAMES, *(name.lower() for name in _PROTOCOL_NAMES))
        )
        self.port_name = st.sampled_from((None, *_PORT_NAMES))
        self.ip = st.sampled_from((None, *_IP_POOL))
        self.capture = st.sampled_from((None, *CaptureMode))
        self.socket_capture = st.sampled_from((None, CaptureMode.DEFAULT, CaptureMode.NONE))
        self.endpoint = some(_default_endpoints())
        self.tls = some(server_tls_settings(), enabled=features.tls)
        self.pool = _rarely(connection_pools(), enabled=features.connection_pools)
        self.tcp_pool = _rarely(connection_pools(http=False), enabled=features.connection_pools)
        self.policy = some(outbound_traffic_policies(), enabled=features.outbound_policy)
        namespaces = (".", "*", *(features.namespaces or _NAMESPACE_POOL))
        self.namespace_keys = st.lists(
            st.sampled_from(namespaces), min_size=1, max_size=3, unique=True
        )
        # "*" is drawn separately: next to other names of its namespace it repeats them (V24).
        dns = st.sampled_from([h for h in features.dns_names or _HOST_POOL if h != "*"])
        self.dns_names = st.lists(dns, min_size=1, max_size=2, unique=True)
        excluded = st.builds(_entry, st.sampled_from(namespaces).map("~".__add__), dns)
        self.exclusions = st.lists(excluded, max_size=2)
        self.small_index = st.integers(0, 7)


_kit = functools.lru_cache(maxsize=64)(_Kit)


def ingress_listeners(
    *, tls: bool = True, connection_pools: bool = True
) -> st.SearchStrategy[IstioIngressListener]:
    """One valid ingress listener (V12-V17); a list of them needs distinct port numbers (V14)."""
    kit = _kit(_Features(tls=tls, connection_pools=connection_pools))
    return _drawn(_draw_ingress_anywhere, kit)


def _draw_ingress_anywhere(draw: _Draw, kit: _Kit) -> IstioIngressListener:
    return _draw_ingress(draw, kit, draw(kit.ingress_port))


def _draw_ingress(draw: _Draw, kit: _Kit, number: int) -> IstioIngressListener:
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
    kit = _kit(_Features(namespaces=namespaces, exclusions=exclusions, max_hosts=max_hosts))
    return _drawn(_draw_catch_all, kit)


def _draw_catch_all(draw: _Draw, kit: _Kit) -> IstioEgressListener:
    return IstioEgressListener(hosts=_draw_hosts(draw, kit, None))


def _draw_hosts(draw: _Draw, kit: _Kit, own_namespace: str | None) -> tuple[str, ...]:
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
    draw: _Draw, kit: _Kit, own_namespace: str | None, number: int | None, bind: str | None
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


# --------------------------------------------------------------------------- Sidecars


@attrs.frozen(kw_only=True)
class BrokenSidecar:
    """A Sidecar that breaks exactly one rule: :func:`~sidecar_model.validate` reports ``rule``.

    Every diagnostic of the Sidecar (errors and warnings) has the code ``rule``; the rule may
    be reported more than once.
    """

    sidecar: Sidecar
    rule: str


@attrs.frozen(kw_only=True)
class BrokenResource:
    """A Sidecar resource that breaks exactly one rule, as :class:`BrokenSidecar`."""

    resource: Resource[Sidecar]
    rule: str


@overload
def sidecars(
    *,
    valid: Literal[True] = True,
    rules: Sequence[str] | None = None,
    max_ingress: int = 2,
    max_egress: int = 3,
    max_hosts: int = 4,
    selector: bool | None = None,
    tls: bool = True,
    connection_pools: bool = True,
    outbound_policy: bool = True,
    unix_sockets: bool = True,
    exclusions: bool = True,
    namespaces: Sequence[str] | None = None,
    host_names: Sequence[str] | None = None,
) -> st.SearchStrategy[Sidecar]: ...


@overload
def sidecars(
    *,
    valid: Literal[False],
    rules: Sequence[str] | None = None,
    max_ingress: int = 2,
    max_egress: int = 3,
    max_hosts: int = 4,
    selector: bool | None = None,
    tls: bool = True,
    connection_pools: bool = True,
    outbound_policy: bool = True,
    unix_sockets: bool = True,
    exclusions: bool = True,
    namespaces: Sequence[str] | None = None,
    host_names: Sequence[str] | None = None,
) -> st.SearchStrategy[BrokenSidecar]: ...


def sidecars(  # noqa: PLR0913 - one knob per feature
    *,
    valid: bool = True,
    rules: Sequence[str] | None = None,
    max_ingress: int = 2,
    max_egress: int = 3,
    max_hosts: int = 4,
    selector: bool | None = None,
    tls: bool = True,
    connection_pools: bool = True,
    outbound_policy: bool = True,
    unix_sockets: bool = True,
    exclusions: bool = True,
    namespaces: Sequence[str] | None = None,
    host_names: Sequence[str] | None = None,
) -> st.SearchStrategy[Sidecar] | st.SearchStrategy[BrokenSidecar]:
    """Sidecars that :func:`~sidecar_model.validate` accepts with no error and no warning.

    Valid by construction: the catch-all egress listener comes last, port numbers and Unix
    socket binds are distinct, socket listeners capture with DEFAULT or NONE, TLS appears only
    on HTTPS and TLS ingress ports, HTTP pool settings only on HTTP ports, durations are
    whole milliseconds of at least 1 ms, and no egress host is selected twice.

    Knobs: ``max_ingress`` and ``max_egress`` bound the listeners (0 leaves them out);
    ``max_hosts`` bounds each egress listener's hosts; ``selector`` is True (always a
    workload selector), False (never) or None (sometimes); ``tls``, ``connection_pools``,
    ``outbound_policy``, ``unix_sockets`` and ``exclusions`` (``~`` hosts) allow a feature;
    ``namespaces`` and ``host_names`` list the namespace names and DNS names egress hosts
    may use (``ns/*`` entries come anyway; the defaults hold edge cases such as a 63-character
    label, upper case and a trailing dot).

    With ``valid=False`` the strategy yields :class:`BrokenSidecar` values that break exactly
    one rule, drawn from ``rules`` (default: every rule in :data:`BREAKABLE_RULES`).
    """
    kit = _kit(
        _Features(
            max_ingress=max_ingress,
            max_egress=max_egress,
            max_hosts=max_hosts,
            selector=selector,
            tls=tls,
            connection_pools=connection_pools,
            outbound_policy=outbound_policy,
            unix_sockets=unix_sockets,
            exclusions=exclusions,
            namespaces=namespaces,
            dns_names=host_names,
        )
    )
    if valid:
        return _drawn(_draw_sidecar, kit, None)
    return _broken_sidecars(kit, rules)


def _draw_sidecar(  # noqa: PLR0913 - what a breaker may ask for
    draw: _Draw,
    kit: _Kit,
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
    draw: _Draw, kit: _Kit, own_namespace: str | None, minimum: int, *, catch_all: bool | None
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


# --------------------------------------------------------------------------- broken Sidecars


def _base(draw: _Draw, kit: _Kit, own: str | None, **needs: Any) -> Sidecar:  # noqa: ANN401
    return _draw_sidecar(draw, kit, own, **needs)


def _free_port(used: set[int | None]) -> int:
    return next(n for n in range(80, _MAX_PORT + 1) if n not in used)


def _replace_at(items: tuple[Any, ...], index: int, item: Any) -> tuple[Any, ...]:  # noqa: ANN401
    return (*items[:index], item, *items[index + 1 :])


def _break_selector(draw: _Draw, kit: _Kit, own: str | None, *, labels: dict[str, str]) -> Sidecar:
    sidecar = _base(draw, kit, own)
    return attrs.evolve(sidecar, workload_selector=WorkloadSelector(labels=labels))


def _break_v5(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    return _break_selector(draw, kit, own, labels={"": draw(dns_labels())})


def _break_v6(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    value = draw(st.sampled_from(("*", "web-*", "*a")))
    return _break_selector(draw, kit, own, labels={"app": value})


def _break_v8(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    return _break_selector(draw, kit, own, labels={})


def _break_v9(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    del own, kit
    selector = draw(_optional(st.builds(WorkloadSelector, labels=label_maps(min_size=1))))
    return Sidecar(workload_selector=selector)


def _break_v41(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    return _break_selector(draw, kit, own, labels={"app": "a" * draw(st.integers(64, 80))})


def _break_ingress(
    draw: _Draw,
    kit: _Kit,
    own: str | None,
    change: Callable[[IstioIngressListener], IstioIngressListener],
) -> Sidecar:
    sidecar = _base(draw, kit, own, min_ingress=1)
    index = draw(st.integers(0, len(sidecar.ingress) - 1))
    listener = change(sidecar.ingress[index])
    return attrs.evolve(sidecar, ingress=_replace_at(sidecar.ingress, index, listener))


def _break_v12(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    target = draw(port_numbers())
    return _break_ingress(
        draw,
        kit,
        own,
        lambda li: attrs.evolve(li, port=attrs.evolve(li.port, target_port=target)),
    )


def _break_v13(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    how = draw(st.sampled_from(("number", "bind", "name")))
    bad_bind = draw(st.sampled_from(("localhost", "unix:///var/run/app.sock", "1.2.3")))

    def change(listener: IstioIngressListener) -> IstioIngressListener:
        if how == "number":
            return attrs.evolve(listener, port=attrs.evolve(listener.port, number=0))
        if how == "bind":
            return attrs.evolve(listener, bind=bad_bind)
        return attrs.evolve(listener, port=attrs.evolve(listener.port, name="Bad_Name"))

    return _break_ingress(draw, kit, own, change)


def _break_v14(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    sidecar = _base(draw, kit, own, min_ingress=1)
    copy = draw(st.sampled_from(sidecar.ingress))
    return attrs.evolve(sidecar, ingress=(*sidecar.ingress, copy))


def _break_v15(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    endpoint = draw(
        st.sampled_from(("localhost:8080", "127.0.0.1", "10.0.0.1:80", ":0", "unix://"))
    )
    return _break_ingress(draw, kit, own, lambda li: attrs.evolve(li, default_endpoint=endpoint))


def _new_ingress(
    draw: _Draw,
    kit: _Kit,
    own: str | None,
    protocol: str,
    **fields: Any,  # noqa: ANN401
) -> Sidecar:
    sidecar = _base(draw, kit, own)
    number = _free_port({li.port.number for li in sidecar.ingress})
    listener = IstioIngressListener(port=Port(number=number, protocol=protocol), **fields)
    return attrs.evolve(sidecar, ingress=(*sidecar.ingress, listener))


def _tls_port(draw: _Draw, kit: _Kit, own: str | None, tls: ServerTLSSettings) -> Sidecar:
    return _new_ingress(draw, kit, own, draw(st.sampled_from(_TLS_PROTOCOLS)), tls=tls)


_SIMPLE: Final = ServerTLSSettings(
    mode=TLSMode.SIMPLE,
    server_certificate="/etc/certs/server.pem",
    private_key="/etc/certs/key.pem",
)


def _break_v16(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    if draw(st.booleans()):
        return _new_ingress(draw, kit, own, draw(st.sampled_from(("HTTP", "TCP"))), tls=_SIMPLE)
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, subject_alt_names=("a.example",)))


def _break_v17(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    pool = ConnectionPoolSettings(http=HTTPSettings(max_retries=draw(st.integers(0, 5))))
    return _new_ingress(draw, kit, own, "TCP", connection_pool=pool)


def _break_v25(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    old = draw(st.sampled_from((TLSProtocol.TLSV1_0, TLSProtocol.TLSV1_1)))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, min_protocol_version=old))


def _break_v26(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    bad = draw(st.sampled_from(("NOT-A-CIPHER", "RC4-MD5")))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, cipher_suites=(_CIPHERS[0], bad)))


def _break_v27(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    suite = draw(st.sampled_from(_CIPHERS))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, cipher_suites=(suite, suite)))


def _break_v29(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    mode = draw(st.sampled_from((None, TLSMode.PASSTHROUGH)))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, mode=mode))


def _break_v32(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    if draw(st.booleans()):
        return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, private_key=None))
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, mode=TLSMode.MUTUAL))


def _break_v33(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    return _tls_port(draw, kit, own, attrs.evolve(_SIMPLE, ca_crl="/etc/certs/crl.pem"))


def _break_pool(draw: _Draw, kit: _Kit, own: str | None, pool: ConnectionPoolSettings) -> Sidecar:
    return attrs.evolve(_base(draw, kit, own), inbound_connection_pool=pool)


def _break_v34(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    return _break_pool(draw, kit, own, ConnectionPoolSettings())


def _break_v35(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    http = draw(
        st.sampled_from(
            (
                HTTPSettings(max_retries=-1),
                HTTPSettings(h2_upgrade_policy=H2UpgradePolicy.UPGRADE, use_client_protocol=True),
                HTTPSettings(http2_keep_alive=ConnectionKeepalive(interval=_millis(1000))),
            )
        )
    )
    return _break_pool(draw, kit, own, ConnectionPoolSettings(http=http))


def _break_v36(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    tcp = TCPSettings(max_connections=draw(st.integers(-(2**31), -1)))
    return _break_pool(draw, kit, own, ConnectionPoolSettings(tcp=tcp))


def _break_v37(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    nanos = draw(st.sampled_from((500_000, 1_500_000, 1)))
    tcp = TCPSettings(connect_timeout=Duration(nanoseconds=nanos))
    return _break_pool(draw, kit, own, ConnectionPoolSettings(tcp=tcp))


def _break_egress_list(
    draw: _Draw,
    kit: _Kit,
    own: str | None,
    change: Callable[[tuple[IstioEgressListener, ...]], tuple[IstioEgressListener, ...]],
    **needs: Any,  # noqa: ANN401
) -> Sidecar:
    sidecar = _base(draw, kit, own, **{"min_egress": 1, **needs})
    return attrs.evolve(sidecar, egress=change(sidecar.egress))


def _used_ports(listeners: tuple[IstioEgressListener, ...]) -> set[int | None]:
    return {li.port.number for li in listeners if li.port is not None}


def _break_v20(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    def change(egress: tuple[IstioEgressListener, ...]) -> tuple[IstioEgressListener, ...]:
        port = Port(number=_free_port(_used_ports(egress)))
        return (*egress, IstioEgressListener(port=port, hosts=("./*",)))

    return _break_egress_list(draw, kit, own, change, catch_all=True)


def _break_v21(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    how = draw(st.sampled_from(("duplicate", "socket-capture", "socket-bind", "bind")))

    def change(egress: tuple[IstioEgressListener, ...]) -> tuple[IstioEgressListener, ...]:
        free = _free_port(_used_ports(egress))
        if how == "duplicate":
            return (egress[0], *egress)  # egress[0] has a port: see catch_all below
        if how == "socket-capture":
            listener = IstioEgressListener(
                port=Port(number=0),
                bind="unix:///var/run/new.sock",
                capture_mode=CaptureMode.IPTABLES,
                hosts=("./*",),
            )
        elif how == "socket-bind":
            listener = IstioEgressListener(port=Port(number=0), bind="127.0.0.1", hosts=("./*",))
        else:
            listener = IstioEgressListener(port=Port(number=free), bind="localhost", hosts=("./*",))
        return (listener, *egress)

    return _break_egress_list(draw, kit, own, change, min_egress=2, catch_all=False)


def _break_v22(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    def change(egress: tuple[IstioEgressListener, ...]) -> tuple[IstioEgressListener, ...]:
        port = Port(number=_free_port(_used_ports(egress)))
        return (IstioEgressListener(port=port, hosts=()), *egress)

    return _break_egress_list(draw, kit, own, change)


def _break_hosts(
    draw: _Draw,
    kit: _Kit,
    own: str | None,
    change: Callable[[tuple[str, ...]], tuple[str, ...]],
) -> Sidecar:
    sidecar = _base(draw, kit, own, min_egress=1)
    index = draw(st.integers(0, len(sidecar.egress) - 1))
    listener = sidecar.egress[index]
    listener = attrs.evolve(listener, hosts=change(listener.hosts))
    return attrs.evolve(sidecar, egress=_replace_at(sidecar.egress, index, listener))


def _break_v23(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    # No slash, or an exclusion: V24 does not look at either, so only V23 fires.
    bad = draw(
        st.sampled_from(("reviews.shop.svc", "*", "~shop/reviews", "~shop/*a.com", "~~shop/a.b"))
    )
    return _break_hosts(draw, kit, own, lambda hosts_: (*hosts_, bad))


def _break_v24(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    # The first entry of a generated listener is always an import, so repeating it is V24.
    return _break_hosts(draw, kit, own, lambda hosts_: (*hosts_, hosts_[0]))


def _break_v39(draw: _Draw, kit: _Kit, own: str | None) -> Sidecar:
    proxy = Destination(host="proxy.example.com", port=PortSelector(number=3128))
    policy = draw(
        st.sampled_from(
            (
                OutboundTrafficPolicy(egress_proxy=proxy),
                OutboundTrafficPolicy(
                    mode=OutboundTrafficPolicyMode.REGISTRY_ONLY, egress_proxy=proxy
                ),
                OutboundTrafficPolicy(
                    mode=OutboundTrafficPolicyMode.ALLOW_ANY,
                    egress_proxy=attrs.evolve(proxy, port=None),
                ),
                OutboundTrafficPolicy(
                    mode=OutboundTrafficPolicyMode.ALLOW_ANY,
                    egress_proxy=attrs.evolve(proxy, host="*.example.com"),
                ),
            )
        )
    )
    return attrs.evolve(_base(draw, kit, own), outbound_traffic_policy=policy)


_BREAKERS: Final[dict[str, Callable[[_Draw, _Kit, str | None], Sidecar]]] = {
    "V5": _break_v5,
    "V6": _break_v6,
    "V8": _break_v8,
    "V9": _break_v9,
    "V12": _break_v12,
    "V13": _break_v13,
    "V14": _break_v14,
    "V15": _break_v15,
    "V16": _break_v16,
    "V17": _break_v17,
    "V20": _break_v20,
    "V21": _break_v21,
    "V22": _break_v22,
    "V23": _break_v23,
    "V24": _break_v24,
    "V25": _break_v25,
    "V26": _break_v26,
    "V27": _break_v27,
    "V29": _break_v29,
    "V32": _break_v32,
    "V33": _break_v33,
    "V34": _break_v34,
    "V35": _break_v35,
    "V36": _break_v36,
    "V37": _break_v37,
    "V39": _break_v39,
    "V41": _break_v41,
}
#: The rules ``sidecars(valid=False)`` can break on their own. The others are enforced by
#: loading (V10, V11, V19, V38), are control flow (V7, V31, V40), concern the metadata
#: (V1-V4: see :data:`BREAKABLE_RESOURCE_RULES`), or never fire alone on a Sidecar: V28 and
#: V30 need a field or mode that V16 rejects first, and V18 reports as V34-V37.
BREAKABLE_RULES: Final = tuple(_BREAKERS)
_ANNOTATIONS: Final = {
    "V1": "istio.io/dry-run",
    "V2": "internal.istio.io/webhook-always-reject",
    "V3": "internal.istio.io/parent-namespace",
    "V4": "internal.istio.io/parents",
}
#: The rules ``resources(valid=False)`` can break: the metadata annotations V1-V4, and
#: every rule of :data:`BREAKABLE_RULES`.
BREAKABLE_RESOURCE_RULES: Final = (*_ANNOTATIONS, *BREAKABLE_RULES)


def _chosen(rules: Sequence[str] | None, allowed: Sequence[str]) -> list[str]:
    chosen = list(allowed if rules is None else rules)
    unknown = [rule for rule in chosen if rule not in allowed]
    if unknown or not chosen:
        msg = f"cannot break {unknown or 'no rules'}; choose from {', '.join(allowed)}"
        raise ValueError(msg)
    return chosen


def _broken_sidecars(kit: _Kit, rules: Sequence[str] | None) -> st.SearchStrategy[BrokenSidecar]:
    chosen = st.sampled_from(_chosen(rules, BREAKABLE_RULES))
    return _drawn(_draw_broken_sidecar, kit, chosen)


def _draw_broken_sidecar(draw: _Draw, kit: _Kit, chosen: st.SearchStrategy[str]) -> BrokenSidecar:
    rule = draw(chosen)
    return BrokenSidecar(sidecar=_BREAKERS[rule](draw, kit, None), rule=rule)


# --------------------------------------------------------------------------- resources


def _timestamps() -> st.SearchStrategy[dt.datetime]:
    """Whole seconds in UTC, as the API server writes them; they shrink toward 2024-01-01."""
    return st.integers(0, 10 * 365 * 86_400).map(lambda s: _EPOCH + dt.timedelta(seconds=s))


def object_metas(
    *, namespace: str | None = None, name: str | None = None
) -> st.SearchStrategy[ObjectMeta]:
    """Metadata with a name, a namespace, labels, annotations and a creation timestamp.

    The annotations never include the ones Istio rejects (V1-V4).
    """
    annotation_keys = st.sampled_from(("owner", "example.com/note")) | dns_labels()
    return st.builds(
        ObjectMeta,
        name=dns_labels() if name is None else st.just(name),
        namespace=dns_labels() if namespace is None else st.just(namespace),
        labels=label_maps(),
        annotations=st.dictionaries(annotation_keys, dns_labels(), max_size=2),
        creation_timestamp=_optional(_timestamps()),
    )


@overload
def resources(
    *,
    valid: Literal[True] = True,
    namespace: str | None = None,
    rules: Sequence[str] | None = None,
    **features: Any,  # noqa: ANN401
) -> st.SearchStrategy[Resource[Sidecar]]: ...


@overload
def resources(
    *,
    valid: Literal[False],
    namespace: str | None = None,
    rules: Sequence[str] | None = None,
    **features: Any,  # noqa: ANN401
) -> st.SearchStrategy[BrokenResource]: ...


def resources(
    *,
    valid: bool = True,
    namespace: str | None = None,
    rules: Sequence[str] | None = None,
    **features: Any,
) -> st.SearchStrategy[Resource[Sidecar]] | st.SearchStrategy[BrokenResource]:
    """Sidecar resources: any served ``apiVersion``, :func:`object_metas`, a :func:`sidecars` spec.

    ``namespace`` fixes ``metadata.namespace``; other keyword arguments are the knobs of
    :func:`sidecars`. Valid resources pass :func:`~sidecar_model.validate` with no finding
    (egress hosts never name the resource's own namespace next to ``.``, V24). With
    ``valid=False`` the strategy yields :class:`BrokenResource` values, breaking one of
    ``rules`` (default: :data:`BREAKABLE_RESOURCE_RULES`).
    """
    kit = _kit(_Features(**features))
    metas = object_metas(namespace=namespace)
    api_versions = st.sampled_from(_NETWORKING_API_VERSIONS)
    chosen = None if valid else st.sampled_from(_chosen(rules, BREAKABLE_RESOURCE_RULES))

    return _drawn(_draw_resource, kit, metas, api_versions, chosen)


def _draw_resource(
    draw: _Draw,
    kit: _Kit,
    metas: st.SearchStrategy[ObjectMeta],
    api_versions: st.SearchStrategy[str],
    chosen: st.SearchStrategy[str] | None,
) -> Resource[Sidecar] | BrokenResource:
    meta = draw(metas)
    api_version = draw(api_versions)
    if chosen is None:
        spec = _draw_sidecar(draw, kit, meta.namespace)
        return Resource(api_version=api_version, kind="Sidecar", metadata=meta, spec=spec)
    rule = draw(chosen)
    if rule in _ANNOTATIONS:
        meta = attrs.evolve(meta, annotations={**meta.annotations, _ANNOTATIONS[rule]: "true"})
        spec = _draw_sidecar(draw, kit, meta.namespace)
    else:
        spec = _BREAKERS[rule](draw, kit, meta.namespace)
    resource = Resource(api_version=api_version, kind="Sidecar", metadata=meta, spec=spec)
    return BrokenResource(resource=resource, rule=rule)


# --------------------------------------------------------------------------- meshes

_ROOT_NAMESPACE: Final = "istio-system"
# Meshes draw names from small pools, so that Sidecars, routes and workloads refer to the
# services that exist (and sometimes to ones that do not).
_MESH_NAMESPACES: Final = ("default", "shop", "web", "db")
_APPS: Final = ("web", "api", "db", "cart")
_ENTRY_HOSTS: Final = ("api.example.com", "db.example.com", "*.example.com", "*.wiki.org")
_MESH_HOSTS: Final = (
    *(f"{app}.{ns}.svc.cluster.local" for ns in _MESH_NAMESPACES for app in _APPS),
    *_ENTRY_HOSTS,
    "*.svc.cluster.local",
)
_SERVICE_PORTS: Final = ((80, "http"), (9090, "grpc"), (5432, "tcp-db"), (8080, None))
_EXPORT_FORMS: Final = ((), (".",), ("*",))


def _export_lists(*, hidden: bool) -> st.SearchStrategy[tuple[str, ...]]:
    """Lists for ``exportTo``: unset, ``.``, ``*``, ``~`` (ServiceEntries only), or namespaces."""
    forms = _EXPORT_FORMS + ((("~",), ("~",)) if hidden else ())  # "~" often: it hides
    targets = st.sampled_from((".", *_MESH_NAMESPACES))
    named = st.lists(targets, min_size=1, max_size=2, unique=True).map(tuple)
    return st.sampled_from(forms) | named


def _created() -> st.SearchStrategy[dt.datetime | None]:
    # A few distinct days, so that creation times tie and istiod's tie-breaks matter.
    return _optional(st.integers(0, 3).map(lambda days: _EPOCH + dt.timedelta(days=days)))


def _networking(kind: str, meta: ObjectMeta, spec: Any) -> Resource[Any]:  # noqa: ANN401
    return Resource(api_version=_NETWORKING_API_VERSIONS[0], kind=kind, metadata=meta, spec=spec)


def _core(kind: str, meta: ObjectMeta, spec: Any) -> Resource[Any]:  # noqa: ANN401
    return Resource(api_version="v1", kind=kind, metadata=meta, spec=spec)


class _MeshKit:
    """The strategies :func:`mesh_resources` draws from, built once."""

    def __init__(self) -> None:
        self.booleans = st.booleans()
        self.namespaces = st.sampled_from(_MESH_NAMESPACES)
        self.namespace_lists = st.lists(self.namespaces, min_size=1, max_size=4, unique=True)
        self.namespace_labels = label_maps(max_size=1)
        self.apps = st.sampled_from(_APPS)
        self.created = _created()
        self.ports = st.lists(
            st.sampled_from(_SERVICE_PORTS), min_size=1, max_size=2, unique_by=lambda p: p[0]
        )
        self.protocols = _optional(protocols())
        self.export = _export_lists(hidden=False)
        self.entry_export = _export_lists(hidden=True)
        self.entry_hosts = st.lists(
            st.sampled_from(_ENTRY_HOSTS) | hosts(), min_size=1, max_size=2, unique=True
        )
        self.locations = st.sampled_from(("MESH_EXTERNAL", "MESH_INTERNAL"))
        self.resolutions = st.sampled_from(("DNS", "NONE", "STATIC"))
        self.mesh_hosts = st.sampled_from(_MESH_HOSTS)
        self.source_namespaces = _optional(self.namespaces)
        self.dr_export = st.sampled_from(((), (".",)))  # X3: a selector DR stays home
        self.versions = _optional(st.sampled_from(("v1", "v2")))
        features = _Features(
            max_ingress=1,
            max_egress=2,
            tls=False,
            namespaces=(*_MESH_NAMESPACES, _ROOT_NAMESPACE),
            dns_names=_MESH_HOSTS,
        )
        self.sidecar = _kit(features)
        self.root_sidecar = _kit(attrs.evolve(features, selector=False))

    def counts(self, limit: int) -> st.SearchStrategy[int]:
        return st.integers(0, max(0, limit))


_mesh_kit = functools.cache(_MeshKit)


def mesh_resources(  # noqa: PLR0913 - one size knob per kind
    *,
    max_services: int = 4,
    max_service_entries: int = 2,
    max_sidecars: int = 3,
    max_virtual_services: int = 2,
    max_destination_rules: int = 2,
    max_workloads: int = 4,
) -> st.SearchStrategy[list[Resource[Any]]]:
    """The resources of a small mesh, ready for :meth:`~sidecar_model.mesh.Mesh.from_resources`.

    Namespaces (among ``default``, ``shop``, ``web``, ``db``, and ``istio-system``, the root);
    Kubernetes Services, some with an exportTo annotation; ServiceEntries with FQDN or
    wildcard hosts and every exportTo form (``.``, ``*``, ``~``, namespaces); valid Sidecars,
    a root default, namespace-wide ones and selector ones, whose egress hosts name the mesh's
    namespaces and hosts; VirtualServices and DestinationRules on those hosts; and Pods whose
    ``app`` labels sometimes match the selectors. Names come from small pools, so that these
    refer to each other; the ``max_*`` knobs bound how many of each kind there are.
    """
    kit = _mesh_kit()
    limits: dict[str, st.SearchStrategy[Any]] = {
        "services": st.lists(
            st.tuples(kit.namespaces, kit.apps), max_size=max(0, max_services), unique=True
        ),
        "entries": kit.counts(max_service_entries),
        "sidecars": kit.counts(max_sidecars),
        "virtual_services": kit.counts(max_virtual_services),
        "destination_rules": kit.counts(max_destination_rules),
        "workloads": kit.counts(max_workloads),
    }
    return _drawn(_draw_mesh, kit, limits)


def meshes(**sizes: int) -> st.SearchStrategy[Mesh]:
    """:class:`~sidecar_model.mesh.Mesh` values built from :func:`mesh_resources` (same knobs)."""
    from sidecar_model.mesh import Mesh  # noqa: PLC0415 - only mesh users pay for the import

    return mesh_resources(**sizes).map(Mesh.from_resources)


def _draw_mesh(
    draw: _Draw, kit: _MeshKit, limits: dict[str, st.SearchStrategy[Any]]
) -> list[Resource[Any]]:
    namespaces = draw(kit.namespace_lists)
    found = [
        _core("Namespace", ObjectMeta(name=ns, labels=draw(kit.namespace_labels)), NamespaceSpec())
        for ns in (*namespaces, _ROOT_NAMESPACE)
    ]
    # Services are unique by namespace and name, ServiceEntry hosts by namespace and host:
    # istiod orders equals by registry order, which no input order can reproduce.
    found.extend(
        _draw_service(draw, kit, (namespace, app))
        for namespace, app in draw(limits["services"])
        if namespace in namespaces
    )
    used_hosts: set[tuple[str, str]] = set()
    found.extend(
        _draw_entry(draw, kit, namespaces, i, used_hosts) for i in range(draw(limits["entries"]))
    )
    if draw(kit.booleans):  # the root namespace's default Sidecar
        spec = _draw_sidecar(draw, kit.root_sidecar, _ROOT_NAMESPACE)
        found.append(
            _networking("Sidecar", _mesh_meta(draw, kit, "default", _ROOT_NAMESPACE), spec)
        )
    found.extend(
        _draw_mesh_sidecar(draw, kit, namespaces, i) for i in range(draw(limits["sidecars"]))
    )
    found.extend(
        _draw_route(draw, kit, namespaces, i) for i in range(draw(limits["virtual_services"]))
    )
    found.extend(
        _draw_rule(draw, kit, namespaces, i) for i in range(draw(limits["destination_rules"]))
    )
    found.extend(_draw_pod(draw, kit, namespaces, i) for i in range(draw(limits["workloads"])))
    return found


def _mesh_meta(draw: _Draw, kit: _MeshKit, name: str, namespace: str, **fields: Any) -> ObjectMeta:  # noqa: ANN401
    return ObjectMeta(
        name=name, namespace=namespace, creation_timestamp=draw(kit.created), **fields
    )


def _in(draw: _Draw, kit: _MeshKit, namespaces: Sequence[str]) -> str:
    namespace: str = draw(kit.namespaces)
    return namespace if namespace in namespaces else namespaces[0]


def _draw_service(draw: _Draw, kit: _MeshKit, key: tuple[str, str]) -> Resource[Any]:
    namespace, app = key
    ports = tuple(
        KubernetesServicePort(name=name, port=number, protocol="TCP")
        for number, name in draw(kit.ports)
    )
    export = draw(kit.export)
    annotations = {EXPORT_TO_ANNOTATION: ",".join(export)} if export else {}
    meta = _mesh_meta(draw, kit, app, namespace, annotations=annotations)
    return _core("Service", meta, KubernetesServiceSpec(ports=ports, selector={"app": app}))


def _draw_entry(
    draw: _Draw,
    kit: _MeshKit,
    namespaces: Sequence[str],
    index: int,
    used_hosts: set[tuple[str, str]],
) -> Resource[Any]:
    namespace = _in(draw, kit, namespaces)
    hosts_ = [host for host in draw(kit.entry_hosts) if (namespace, host) not in used_hosts]
    used_hosts.update((namespace, host) for host in hosts_)
    ports = tuple(
        ServiceEntryPort(number=number, protocol=draw(kit.protocols), name=name or f"p{number}")
        for number, name in draw(kit.ports)
    )
    spec = ServiceEntrySpec(
        hosts=tuple(hosts_) or (f"se{index}.example.com",),
        ports=ports,
        location=draw(kit.locations),
        resolution=draw(kit.resolutions),
        export_to=draw(kit.entry_export),
    )
    meta = _mesh_meta(draw, kit, f"se{index}", namespace)
    return _networking("ServiceEntry", meta, spec)


def _draw_mesh_sidecar(
    draw: _Draw, kit: _MeshKit, namespaces: Sequence[str], index: int
) -> Resource[Any]:
    namespace = _in(draw, kit, namespaces)
    spec = _draw_sidecar(draw, kit.sidecar, namespace)
    if spec.workload_selector is not None:  # select the mesh's own workloads
        spec = attrs.evolve(
            spec, workload_selector=WorkloadSelector(labels={"app": draw(kit.apps)})
        )
    return _networking("Sidecar", _mesh_meta(draw, kit, f"sc{index}", namespace), spec)


def _draw_route(draw: _Draw, kit: _MeshKit, namespaces: Sequence[str], index: int) -> Resource[Any]:
    source = draw(kit.source_namespaces)
    route = HTTPRoute(
        match=() if source is None else (RouteMatch(source_namespace=source),),
        route=(RouteDestination(destination=Destination(host=draw(kit.mesh_hosts))),),
    )
    spec = VirtualServiceSpec(
        hosts=(draw(kit.mesh_hosts),), export_to=draw(kit.export), http=(route,)
    )
    meta = _mesh_meta(draw, kit, f"vs{index}", _in(draw, kit, namespaces))
    return _networking("VirtualService", meta, spec)


def _draw_rule(draw: _Draw, kit: _MeshKit, namespaces: Sequence[str], index: int) -> Resource[Any]:
    selector = None
    export = draw(kit.export)
    if draw(kit.booleans):
        selector = MatchLabelsSelector(match_labels={"app": draw(kit.apps)})
        export = draw(kit.dr_export)
    spec = DestinationRuleSpec(
        host=draw(kit.mesh_hosts),
        export_to=export,
        workload_selector=selector,
        subsets=(Subset(name="v1", labels={"version": "v1"}),),
    )
    meta = _mesh_meta(draw, kit, f"dr{index}", _in(draw, kit, namespaces))
    return _networking("DestinationRule", meta, spec)


def _draw_pod(draw: _Draw, kit: _MeshKit, namespaces: Sequence[str], index: int) -> Resource[Any]:
    labels = {"app": draw(kit.apps)}
    version = draw(kit.versions)
    if version is not None:
        labels["version"] = version
    meta = _mesh_meta(draw, kit, f"pod{index}", _in(draw, kit, namespaces), labels=labels)
    return _core("Pod", meta, PodSpec())


# --------------------------------------------------------------------------- arbitrary values


def _arbitrary_text() -> st.SearchStrategy[str]:
    # Any Unicode text that UTF-8 can encode (no lone surrogates), short.
    return st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


def _tuples(strategy: st.SearchStrategy[Any], max_size: int = 3) -> st.SearchStrategy[Any]:
    return st.lists(strategy, max_size=max_size).map(tuple)


def _enum_or_none(cls: type[enum.Enum]) -> st.SearchStrategy[Any]:
    return st.sampled_from((None, *cls))


def arbitrary_sidecars() -> st.SearchStrategy[Sidecar]:
    """Sidecars of any shape the model can hold, valid or not: every field, any text.

    Every attribute has its declared type and every integer its wire range (so that the
    value can be written and loaded back), but nothing else holds: ports repeat, hosts are
    random text, durations may be negative. For fuzzing validation, and for codec round trips.
    """
    return _arbitrary_sidecars()


@functools.cache
def _arbitrary_sidecars() -> st.SearchStrategy[Sidecar]:
    text = _arbitrary_text()
    some_text = st.none() | text
    uint32 = st.none() | st.integers(0, 2**32 - 1)
    int32 = st.none() | st.integers(-(2**31), _MAX_INT32)
    some_duration = st.none() | st.builds(Duration, nanoseconds=st.integers(-(10**15), 10**15))
    some_bool = st.none() | st.booleans()
    strings = _tuples(text)
    port = st.builds(Port, number=uint32, protocol=some_text, name=some_text, target_port=uint32)
    tcp = st.builds(
        TCPSettings,
        max_connections=int32,
        connect_timeout=some_duration,
        tcp_keepalive=st.none()
        | st.builds(TcpKeepalive, probes=uint32, time=some_duration, interval=some_duration),
        max_connection_duration=some_duration,
        idle_timeout=some_duration,
    )
    http = st.builds(
        HTTPSettings,
        http1_max_pending_requests=int32,
        http2_max_requests=int32,
        max_requests_per_connection=int32,
        max_retries=int32,
        idle_timeout=some_duration,
        h2_upgrade_policy=_enum_or_none(H2UpgradePolicy),
        use_client_protocol=some_bool,
        max_concurrent_streams=int32,
        http2_keep_alive=st.none()
        | st.builds(ConnectionKeepalive, interval=some_duration, timeout=some_duration),
    )
    pool = st.none() | st.builds(ConnectionPoolSettings, tcp=st.none() | tcp, http=st.none() | http)
    certificate = st.builds(
        TLSCertificate,
        server_certificate=some_text,
        private_key=some_text,
        ca_certificates=some_text,
    )
    tls = st.builds(
        ServerTLSSettings,
        https_redirect=some_bool,
        mode=_enum_or_none(TLSMode),
        server_certificate=some_text,
        private_key=some_text,
        ca_certificates=some_text,
        ca_crl=some_text,
        credential_name=some_text,
        credential_names=strings,
        ca_cert_credential_name=some_text,
        tls_certificates=_tuples(certificate),
        subject_alt_names=strings,
        verify_certificate_spki=strings,
        verify_certificate_hash=strings,
        min_protocol_version=_enum_or_none(TLSProtocol),
        max_protocol_version=_enum_or_none(TLSProtocol),
        cipher_suites=strings,
        insecure_skip_verify=some_bool,
    )
    capture = _enum_or_none(CaptureMode)
    ingress = st.builds(
        IstioIngressListener,
        port=port,
        bind=some_text,
        capture_mode=capture,
        default_endpoint=some_text,
        tls=st.none() | tls,
        connection_pool=pool,
    )
    egress = st.builds(
        IstioEgressListener,
        port=st.none() | port,
        bind=some_text,
        capture_mode=capture,
        hosts=_tuples(st.sampled_from(_HOST_POOL).map("./".__add__) | text, max_size=4),
    )
    proxy = st.builds(
        Destination,
        host=text,
        subset=some_text,
        port=st.none() | st.builds(PortSelector, number=uint32),
    )
    policy = st.builds(
        OutboundTrafficPolicy,
        mode=_enum_or_none(OutboundTrafficPolicyMode),
        egress_proxy=st.none() | proxy,
    )
    return st.builds(
        Sidecar,
        workload_selector=st.none()
        | st.builds(WorkloadSelector, labels=st.dictionaries(text, text, max_size=3)),
        ingress=_tuples(ingress, max_size=2),
        egress=_tuples(egress),
        inbound_connection_pool=pool,
        outbound_traffic_policy=st.none() | policy,
    )


def arbitrary_resources() -> st.SearchStrategy[Resource[Sidecar]]:
    """Sidecar resources around :func:`arbitrary_sidecars`, with :func:`object_metas`."""
    return st.builds(
        Resource,
        api_version=st.sampled_from(_NETWORKING_API_VERSIONS),
        kind=st.just("Sidecar"),
        metadata=object_metas(),
        spec=arbitrary_sidecars(),
    )
