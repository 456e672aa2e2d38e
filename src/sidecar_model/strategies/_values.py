"""Building blocks: DNS labels, hosts, ports, protocols, durations, label maps."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final, TypeVar

from hypothesis import strategies as st

from sidecar_model.model import Duration, Protocol, TLSProtocol

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


_T = TypeVar("_T")
Draw = Any  # hypothesis' DrawFn; typed loosely so that the composites below stay readable

NETWORKING_API_VERSIONS: Final = (
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
PROTOCOL_NAMES: Final = tuple(p.value for p in Protocol if p is not Protocol.UNSUPPORTED)
TLS_PROTOCOLS: Final = tuple(p.value for p in Protocol if p.is_tls)
LABEL_KEYS: Final = ("app", "version", "tier", "team", "app.kubernetes.io/name", "track")
CIPHERS: Final = (
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "AES128-GCM-SHA256",
)
MODERN_TLS: Final = (TLSProtocol.TLS_AUTO, TLSProtocol.TLSV1_2, TLSProtocol.TLSV1_3)
MAX_PORT: Final = 65535
MAX_INT32: Final = 2**31 - 1
_MILLISECOND: Final = 1_000_000
EPOCH: Final = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
# Sidecars draw names from these pools: one draw per name keeps generation fast, shrinking
# goes to the first entry, and the pools hold the edge cases validation accepts (a 63-character
# label, upper case, a trailing dot, an IPv6 zone, an IPv4-mapped IPv6 address).
_LONG_LABEL: Final = "l" * 63
NAMESPACE_POOL: Final = ("shop", "default", "web", "istio-system", "team-1", "x9", _LONG_LABEL)
HOST_POOL: Final = (
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
FQDN_POOL: Final = tuple(host for host in HOST_POOL if "*" not in host)
IP_POOL: Final = (
    "127.0.0.1",
    "0.0.0.0",  # noqa: S104 - text, nothing binds here
    "::1",
    "::",
    "10.0.0.1",
    "2001:db8::1",
    "fe80::1%eth0",
    "::ffff:10.0.0.1",
)
LABEL_VALUES: Final = ("a", "web", "v1", "v2", "shop", "", "x-1.y_2", _LONG_LABEL)
PORT_NAMES: Final = ("http", "https", "grpc", "tcp", "tls", "web", "http-web", "p1", _LONG_LABEL)


# --------------------------------------------------------------------------- building blocks


@st.composite
def drawn(draw: Draw, function: Callable[..., Any], *args: Any) -> Any:  # noqa: ANN401
    """A strategy that calls ``function(draw, *args)``: the draw functions below are plain."""
    return function(draw, *args)


def _mostly(draw: Draw, common: st.SearchStrategy[_T], rare: st.SearchStrategy[_T]) -> _T:
    """``common`` three times in four; it comes first so that shrinking goes there."""
    return draw(rare if draw(_ONE_IN_FOUR) else common)  # type: ignore[no-any-return]


def _one_in_three(draw: Draw, strategy: st.SearchStrategy[_T]) -> _T | None:
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
    return drawn(_mostly, words, made)


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
    return drawn(_mostly, familiar, any_labels)


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
    included = st.builds(host_entry, st.sampled_from([".", "*"]) | names, _dns_names())
    if not exclusions:
        return included
    excluded = st.builds(
        host_entry, (st.sampled_from([".", "*"]) | names).map("~".__add__), fqdns()
    )
    return included | excluded


def port_numbers() -> st.SearchStrategy[int]:
    """Port numbers 1 to 65535, common ones (80, 443, 8080, ...) most often."""
    return st.sampled_from(_COMMON_PORTS) | st.integers(1, MAX_PORT)


def protocols() -> st.SearchStrategy[str]:
    """Protocol names istiod accepts (V13, V21), mostly in canonical spelling, sometimes lower."""
    canonical = st.sampled_from(PROTOCOL_NAMES)
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
    return millis.map(milliseconds) | millis.map(lambda ms: Duration.parse(f"{ms}ms"))


def label_maps(*, min_size: int = 0, max_size: int = 3) -> st.SearchStrategy[dict[str, str]]:
    """Kubernetes label maps such as ``{"app": "shop"}``: valid keys, values without ``*``."""
    keys = st.sampled_from(LABEL_KEYS) | dns_labels()
    return st.dictionaries(keys, dns_labels(), min_size=min_size, max_size=max_size)


def _namespace_names(namespaces: Sequence[str] | None) -> st.SearchStrategy[str]:
    return st.sampled_from(NAMESPACE_POOL if namespaces is None else tuple(namespaces))


def _dns_names() -> st.SearchStrategy[str]:
    """The dnsName part of an egress host: ``*``, a wildcard domain or an FQDN."""
    return wildcard_hosts() | fqdns()


def host_entry(namespace: str, dns_name: str) -> str:
    return f"{namespace}/{dns_name}"


def milliseconds(ms: int) -> Duration:
    return Duration(nanoseconds=ms * _MILLISECOND)


def optional(strategy: st.SearchStrategy[Any], *, enabled: bool = True) -> st.SearchStrategy[Any]:
    return st.none() | strategy if enabled else st.none()


def rarely(strategy: st.SearchStrategy[Any], *, enabled: bool = True) -> st.SearchStrategy[Any]:
    """``strategy`` one time in three, else None: for big, costly parts such as pools."""
    if not enabled:
        return st.none()
    return drawn(_one_in_three, strategy)


_ONE_IN_THREE: Final = st.sampled_from((False, False, True))
