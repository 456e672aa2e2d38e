"""Host names and egress host entries (semantics §2.9, §5.1, §5.2, V23)."""

from __future__ import annotations

import functools

import pytest

from sidecar_model import hosts
from sidecar_model.hosts import EgressHost, HostProblem
from sidecar_model.mesh._index import more_specific, most_specific_match

# --------------------------------------------------------------------------- §5.2 parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("shop/reviews.shop.svc.cluster.local", ("shop", "reviews.shop.svc.cluster.local", False)),
        ("./*", (".", "*", False)),
        ("*/*", ("*", "*", False)),
        ("/x.example.com", ("", "x.example.com", False)),  # an empty namespace stays empty
        ("~shop/*", ("shop", "*", True)),
        ("~/*.example.com", ("*", "*.example.com", True)),  # bare '~' means every namespace
        ("~./x.example.com", (".", "x.example.com", True)),  # '.' is left for the caller
        ("~~shop/x.com", ("~shop", "x.com", True)),  # only one '~' is stripped
        ("shop/", ("shop", "", False)),
    ],
)
def test_parse_egress_host(text: str, expected: tuple[str, str, bool]) -> None:
    namespace, dns_name, excluded = expected
    assert hosts.parse_egress_host(text) == EgressHost(text, namespace, dns_name, excluded)


@pytest.mark.parametrize("text", ["reviews.shop.svc.cluster.local", "a/b/c", "", "*", "//"])
def test_parse_egress_host_needs_exactly_one_slash(text: str) -> None:
    assert hosts.parse_egress_host(text) is None


# --------------------------------------------------------------------------- §5.1 relations


def test_is_wildcard() -> None:
    assert hosts.is_wildcard("*")
    assert hosts.is_wildcard("*.example.com")
    assert hosts.is_wildcard("*foo")
    assert not hosts.is_wildcard("foo.*")
    assert not hosts.is_wildcard("")


@pytest.mark.parametrize(
    ("n", "o", "expected"),
    [
        ("foo.com", "foo.com", True),
        ("foo.com", "bar.com", False),
        ("a.example.com", "*.example.com", True),
        ("a.b.example.com", "*.example.com", True),  # the wildcard spans several labels
        ("example.com", "*.example.com", False),
        ("anything", "*", True),
        ("*.example.com", "example.com", False),  # wildcard under exact: never
        ("*.a.com", "*.com", True),
        ("*.com", "*.a.com", False),
        ("*.com", "*", True),
        ("*", "*", True),
        ("*", "*.com", False),
        ("Foo.com", "foo.com", False),  # case-sensitive
    ],
)
def test_subset_of(n: str, o: str, *, expected: bool) -> None:
    assert hosts.subset_of(n, o) is expected


@pytest.mark.parametrize(
    ("n", "o", "expected"),
    [
        ("foo.com", "foo.com", True),
        ("foo.com", "bar.com", False),
        ("*.com", "foo.com", True),
        ("bar.com", "*.com", True),
        ("*.foo.com", "foo.com", False),
        ("*", "foo.com", True),
        ("*", "*.com", True),
        ("*.com", "*", True),
        ("*.a.com", "*.b.com", False),
    ],
)
def test_matches_is_symmetric_overlap(n: str, o: str, *, expected: bool) -> None:
    assert hosts.matches(n, o) is expected
    assert hosts.matches(o, n) is expected


def test_more_specific_orders_exact_then_longer_then_alphabetical() -> None:
    names = ["*", "b.com", "*.example.com", "a.com", "long.example.com", "*.com"]

    def compare(a: str, b: str) -> int:
        return -1 if more_specific(a, b) else 1

    assert sorted(names, key=functools.cmp_to_key(compare)) == [
        "long.example.com",
        "a.com",
        "b.com",
        "*.example.com",
        "*.com",
        "*",
    ]
    assert more_specific("", "")  # as istiod: two empty names compare "less"


def test_most_specific_match() -> None:
    exact = {"a.b.com": 1}
    wildcard = {"*.com": 2, "*.b.com": 3, "*": 4}
    assert most_specific_match("a.b.com", exact, wildcard) == "a.b.com"
    assert most_specific_match("c.b.com", exact, wildcard) == "*.b.com"
    assert most_specific_match("x.org", exact, wildcard) == "*"
    # A wildcard needle is looked up verbatim first, then by its suffix.
    assert most_specific_match("*.com", exact, wildcard) == "*.com"
    assert most_specific_match("*.x.b.com", exact, wildcard) == "*.b.com"
    assert most_specific_match("x.org", exact, {"*.com": 1}) is None


# --------------------------------------------------------------------------- §2.9 syntax


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("reviews", True),
        ("Reviews-V2", True),  # Istio's pattern allows upper case
        ("a" * 63, True),
        ("a" * 64, False),
        ("9", True),
        ("-a", False),
        ("a-", False),
        ("a_b", False),
        ("", False),
        ("a.b", False),
        ("\u0661", False),  # an Arabic-Indic digit is not an ASCII digit
        ("a\n", False),  # Go's $ does not match before a trailing newline
    ],
)
def test_is_dns1123_label(label: str, *, expected: bool) -> None:
    assert hosts.is_dns1123_label(label) is expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("*", True),
        ("*foo", True),
        ("*-foo", True),
        ("foo", True),
        ("**", False),
        ("foo*", False),
        ("*-", False),
        ("*" + "a" * 62, True),
        ("*" + "a" * 63, False),
    ],
)
def test_is_wildcard_dns1123_label(label: str, *, expected: bool) -> None:
    assert hosts.is_wildcard_dns1123_label(label) is expected


@pytest.mark.parametrize(
    "domain",
    [
        "example.com",
        "*.example.com",
        "*",
        "istio.io.",  # a trailing dot is allowed
        "10.0.0.1.",  # the all-numeric test looks at the empty last label
        "123",  # no dot: only the first-label check runs
        "foo.99999999999999999999",  # too big for Go's Atoi, so not "all-numeric"
        "UPPER.Example.COM",
    ],
)
def test_check_wildcard_domain_accepts(domain: str) -> None:
    assert hosts.check_wildcard_domain(domain) == []


@pytest.mark.parametrize(
    ("domain", "phrase"),
    [
        ("", "empty domain name"),
        ("a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".com", "too long"),
        ("10.0.0.1", "top-level domain '1' is all-numeric"),
        ("foo.+1", "top-level domain '+1' is all-numeric"),  # Atoi takes a sign
        ("foo.*.com", "label '*' is not valid"),
        ("foo_bar.com", "first label 'foo_bar' is not valid"),
        ("a..com", "label '' is not valid"),
    ],
)
def test_check_wildcard_domain_rejects(domain: str, phrase: str) -> None:
    (message,) = hosts.check_wildcard_domain(domain)
    assert phrase in message


def test_check_fqdn() -> None:
    assert hosts.check_fqdn("squid.proxy.svc.cluster.local") == []
    assert hosts.check_fqdn("squid") == []  # a single label is fine
    assert "all-numeric" in hosts.check_fqdn("123")[0]  # ... unless it is all digits
    assert "label '*' is not valid" in hosts.check_fqdn("*.example.com")[0]
    assert "empty domain name" in hosts.check_fqdn("")[0]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("10.0.0.1", True),
        ("0.0.0.0", True),  # noqa: S104 - an address under test, not a bind
        ("255.255.255.255", True),
        ("256.0.0.1", False),
        ("010.0.0.1", False),  # no leading zeros
        ("1.2.3", False),
        ("1.2.3.4.5", False),
        ("1.2.3.", False),
        ("::", True),
        ("::1", True),
        ("fd00::12", True),
        ("fe80::1%eth0", True),
        ("fe80::1%", False),  # an explicit zone must not be empty
        ("1:2:3:4:5:6:7:8", True),
        ("1:2:3:4:5:6:7:8:9", False),
        ("1:2:3:4:5:6:7::", True),
        ("::1:2:3:4:5:6:7:8", False),  # '::' must stand for at least one group
        ("1::2::3", False),
        ("12345::", False),
        ("::ffff:10.0.0.1", True),
        ("1:2:3:4:5:6:10.0.0.1", True),
        ("1:2:3:4:5:6:7:10.0.0.1", False),
        ("1:2:3:4:5:10.0.0.1", False),  # the IPv4 tail must end the address
        ("::ffff:10.0.0.256", False),
        ("::ffff:10.0.0", False),
        ("1:", False),
        ("1:2x", False),
        ("1::", True),
        ("10.0.0.0/8", False),
        ("[::1]", False),
        ("1.2.3.4%eth0", False),
        ("%eth0", False),
        ("localhost", False),
        ("", False),
        ("unix:///var/run/x.sock", False),
    ],
)
def test_is_ip_address_follows_go_netip(address: str, *, expected: bool) -> None:
    assert hosts.is_ip_address(address) is expected


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("/var/run/app.sock", True),
        ("@abstract", True),
        ("/@foo", True),
        ("@", True),
        ("", False),
        ("relative/app.sock", False),
        ("/var/run/", False),
    ],
)
def test_check_unix_address(address: str, *, ok: bool) -> None:
    assert (hosts.check_unix_address(address) == []) is ok


# --------------------------------------------------------------------------- V23


@pytest.mark.parametrize(
    "text",
    [
        "*/*",
        "./*",
        "~/*",
        "~*/*",
        "~./reviews.shop.svc.cluster.local",
        "~shop/*.example.com",
        "istio-system/*",
        "shop/*.example.com",
        "UP/Foo.Example.COM",
        "shop/example.com.",
        "shop/10.0.0.1.",  # §2.9: passes every check
    ],
)
def test_check_egress_host_accepts(text: str) -> None:
    assert hosts.check_egress_host(text) == ()


def _spans(text: str) -> list[tuple[str, str]]:
    return [(p.message, text[p.start : p.end]) for p in hosts.check_egress_host(text)]


def test_partial_wildcard_caret_under_dns_name() -> None:
    (problem,) = hosts.check_egress_host("prod/*foo.com")
    assert problem == HostProblem(message=problem.message, start=5, end=13)
    assert "partial wildcard '*foo.com'" in problem.message
    assert problem.caret("prod/*foo.com") == "prod/*foo.com\n     ^^^^^^^^"


def test_host_without_slash() -> None:
    ((message, span),) = _spans("reviews.shop.svc.cluster.local")
    assert "namespace/dnsName" in message
    assert span == "reviews.shop.svc.cluster.local"


def test_ip_address_host_is_reported_once() -> None:
    # Istio appends the domain error twice unless the name is an IP; it is, so once there too.
    ((message, span),) = _spans("shop/10.0.0.1")
    assert "all-numeric" in message
    assert span == "1"


def test_bad_label_is_reported_once_with_its_span() -> None:
    ((message, span),) = _spans("shop/foo_bar.example.com")
    assert "first label 'foo_bar'" in message
    assert span == "foo_bar"
    ((message, span),) = _spans("shop/api.foo_bar.com")
    assert "label 'foo_bar'" in message
    assert span == "foo_bar"


def test_invalid_namespace() -> None:
    ((message, span),) = _spans("~~prod/x.example.com")
    assert "invalid namespace '~~prod'" in message
    assert span == "~~prod"
    ((message, span),) = _spans("Prod_1/x.example.com")
    assert span == "Prod_1"


def test_short_name() -> None:
    ((message, span),) = _spans("shop/reviews")
    assert "short name 'reviews'" in message
    assert span == "reviews"


def test_extra_slash_makes_a_bad_dns_name() -> None:
    problems = _spans("a/b/c")
    assert [span for _, span in problems] == ["b/c", "b/c"]
    assert "short name" in problems[0][0]
    assert "first label 'b/c'" in problems[1][0]


def test_empty_parts() -> None:
    problems = hosts.check_egress_host("/x.example.com")
    assert [(p.start, p.end) for p in problems] == [(0, 0)]
    assert "must not be empty" in problems[0].message
    problems = hosts.check_egress_host("shop/")
    assert [(p.start, p.end) for p in problems] == [(5, 5)] * 3
    assert problems[0].caret("shop/") == "shop/\n     ^"


def test_partial_wildcard_in_later_label_reports_both_problems() -> None:
    assert [span for _, span in _spans("shop/foo.*.com")] == ["*", "foo.*.com"]


def test_checks_are_cached_per_string() -> None:
    hosts.check_egress_host.cache_clear()
    hosts.check_egress_host("cache/probe.example.com")
    hosts.check_egress_host("cache/probe.example.com")
    info = hosts.check_egress_host.cache_info()
    assert (info.hits, info.misses) == (1, 1)
