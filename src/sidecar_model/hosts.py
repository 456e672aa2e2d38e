"""Host names and egress host entries, as istiod reads and checks them.

Three groups of pure functions on strings:

* parsing an egress listener's ``namespace/dnsName`` entries, including the
  ``~namespace/dnsName`` exclusions of Istio 1.31 (:func:`parse_egress_host`, §5.2);
* the host-name relations scope computation uses: :func:`is_wildcard`,
  :func:`is_partial_wildcard`, :func:`subset_of` and :func:`matches` (§5.1);
* the syntax checks validation uses (§2.9): DNS-1123 labels, wildcard domains, FQDNs, IP
  literals (Go ``netip.ParseAddr`` semantics), Unix socket addresses, and the whole egress host
  entry (:func:`check_egress_host`, V23), whose problems carry the span of the bad part so that
  messages can draw a caret under it.

Section and rule numbers (§5.1, V23) name the Istio behaviour each function follows.
Comparisons are plain, case-sensitive string operations, as in istiod; nothing is
normalised. The checks are cached per distinct string: a mesh repeats the same few host
entries in thousands of Sidecars.
"""

from __future__ import annotations

import functools
import re
from typing import Final

import attrs

from sidecar_model.errors import quoted

__all__ = [
    "EgressHost",
    "HostProblem",
    "caret_line",
    "check_egress_host",
    "check_fqdn",
    "check_unix_address",
    "check_wildcard_domain",
    "is_dns1123_label",
    "is_ip_address",
    "is_partial_wildcard",
    "is_wildcard",
    "is_wildcard_dns1123_label",
    "matches",
    "parse_egress_host",
    "subset_of",
]

_CACHE_SIZE: Final = 8192

# --------------------------------------------------------------------------- egress entries


@attrs.frozen
class EgressHost:
    """One parsed entry of ``egress[].hosts`` (§5.2).

    ``namespace`` is the namespace part with a leading ``~`` removed (``*`` when nothing is
    left); ``.`` is kept as written, for the caller to replace with the config namespace.
    ``excluded`` is True for a ``~`` entry, which removes hosts instead of importing them.
    """

    text: str
    namespace: str
    dns_name: str
    excluded: bool


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse_egress_host(text: str) -> EgressHost | None:
    """Parse ``ns/dnsName`` or ``~ns/dnsName``; None unless ``text`` has exactly one ``/``.

    >>> parse_egress_host("~/*.example.com")
    EgressHost(text='~/*.example.com', namespace='*', dns_name='*.example.com', excluded=True)
    """
    if text.count("/") != 1:  # §5.2 step 1: istiod ignores such entries
        return None
    namespace, _, dns_name = text.partition("/")
    excluded = namespace[:1] == "~"
    if excluded:  # §5.2 step 3: one '~' marks an exclusion; a bare '~' means every namespace
        namespace = namespace[1:] or "*"
    return EgressHost(text, namespace, dns_name, excluded)


# --------------------------------------------------------------------------- §5.1 relations


def is_wildcard(host: str) -> bool:
    """True when ``host`` starts with ``*`` (§5.1.1)."""
    return host[:1] == "*"


def is_partial_wildcard(host: str) -> bool:
    """True for a wildcard whose rest does not start at a label, such as ``*foo.com`` (§5.1.6).

    istiod compares such a name like any wildcard, by plain suffix: ``*foo.com`` covers
    ``barfoo.com`` and ``foo.com``.

    >>> is_partial_wildcard("*foo.com"), is_partial_wildcard("*.foo.com"), is_partial_wildcard("*")
    (True, False, False)
    """
    return host[:1] == "*" and len(host) > 1 and host[1] != "."


def subset_of(n: str, o: str) -> bool:
    """True when every name ``n`` covers is covered by ``o`` (§5.1.2, one direction)."""
    if n[:1] == "*":
        if o[:1] == "*":
            return len(n) >= len(o) and n[1:].endswith(o[1:])
        return False
    if o[:1] == "*":
        return n.endswith(o[1:])
    return n == o


def matches(n: str, o: str) -> bool:
    """True when ``n`` and ``o`` overlap (§5.1.3, symmetric)."""
    n_wild = n[:1] == "*"
    o_wild = o[:1] == "*"
    if n_wild and o_wild:
        if len(n) < len(o):
            return o[1:].endswith(n[1:])
        return n[1:].endswith(o[1:])
    if n_wild:
        return o.endswith(n[1:])
    if o_wild:
        return n.endswith(o[1:])
    return n == o


# --------------------------------------------------------------------------- §2.9 syntax

_LABEL: Final = r"[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?"
_DNS1123_LABEL: Final = re.compile(_LABEL)
_WILDCARD_LABEL: Final = re.compile(rf"\*|(?:\*|\*-)?{_LABEL}")
_GO_INT: Final = re.compile(r"[+-]?[0-9]+")
_MAX_LABEL: Final = 63
_MAX_DOMAIN: Final = 255
_GO_INT_RANGE: Final = range(-(2**63), 2**63)

_LABEL_RULE: Final = (
    "labels may hold letters, digits and '-', must start and end with a letter or digit, "
    "and are at most 63 characters long"
)


def _byte_length(text: str) -> int:
    # Go measures strings in UTF-8 bytes.
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def is_dns1123_label(value: str) -> bool:
    """True for a DNS-1123 label: at most 63 letters, digits and inner ``-`` (§2.9).

    Upper-case letters are allowed, as in Istio's own check.
    """
    return _byte_length(value) <= _MAX_LABEL and _DNS1123_LABEL.fullmatch(value) is not None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def is_wildcard_dns1123_label(value: str) -> bool:
    """True for ``*``, a DNS-1123 label, or one prefixed with ``*`` or ``*-`` (§2.9)."""
    return _byte_length(value) <= _MAX_LABEL and _WILDCARD_LABEL.fullmatch(value) is not None


def _is_go_int(text: str) -> bool:
    # Go's strconv.Atoi: an optional sign, decimal digits, and a value that fits in 64 bits.
    return _GO_INT.fullmatch(text) is not None and int(text) in _GO_INT_RANGE


@attrs.frozen(kw_only=True)
class HostProblem:
    """One thing wrong with a host name or host entry, and the span of text it is about.

    ``start`` and ``end`` index the checked string (``end`` exclusive); an empty span
    (``start == end``) points between two characters, at something missing.
    """

    message: str
    start: int
    end: int

    def caret(self, text: str) -> str:
        """``text`` with a line of carets under the span, as packaging draws them.

        A long ``text`` is cut to a window around the span's start (at most
        :data:`_CARET_WINDOW` characters), with ``…`` where it was cut.
        """
        if len(text) <= _CARET_WINDOW:
            return f"{text}\n{caret_line(self.start, self.end)}"
        low = max(0, min(self.start, len(text)) - _CARET_WINDOW // 4)
        high = min(len(text), low + _CARET_WINDOW)
        head = "…" if low else ""
        shown = f"{head}{text[low:high]}{'…' if high < len(text) else ''}"
        start = self.start - low + len(head)
        end = min(self.end, high) - low + len(head)
        return f"{shown}\n{caret_line(start, end)}"

    def shifted(self, offset: int) -> HostProblem:
        """The same problem with its span moved right by ``offset`` characters."""
        return attrs.evolve(self, start=self.start + offset, end=self.end + offset)


#: The most characters of a host a caret drawing shows.
_CARET_WINDOW: Final = 100


def caret_line(start: int, end: int) -> str:
    """Spaces up to ``start`` and at least one ``^``, reaching ``end``."""
    return " " * start + "^" * max(1, end - start)


def _length_problems(domain: str) -> tuple[HostProblem, ...]:
    if _byte_length(domain) > _MAX_DOMAIN:
        message = f"domain name {quoted(domain)} is too long: the limit is 255 characters"
        return (HostProblem(message=message, start=_MAX_DOMAIN, end=len(domain)),)
    if not domain:
        return (HostProblem(message="an empty domain name is not allowed", start=0, end=0),)
    return ()


def _label_problems(domain: str, labels: str, offset: int) -> tuple[HostProblem, ...]:
    """ValidateDNS1123Labels on ``labels``, the part of ``domain`` that starts at ``offset``."""
    parts = labels.split(".")
    top = parts[-1]
    # Upstream tests only the text after the last '.'; with a trailing dot it is empty, so
    # "10.0.0.1." passes (§2.9).
    if _is_go_int(top):
        message = (
            f"domain name {quoted(domain)} is invalid: its top-level domain {quoted(top)} "
            f"is all-numeric; "
            "an IP address is not a host name"
        )
        start = offset + len(labels) - len(top)
        return (HostProblem(message=message, start=start, end=offset + len(labels)),)
    position = offset
    for index, label in enumerate(parts):
        if index == len(parts) - 1 and not label:
            break  # a trailing dot, as in "istio.io."
        if not is_dns1123_label(label):
            message = (
                f"domain name {quoted(domain)} is invalid: label {quoted(label)} is not valid; "
                + _LABEL_RULE
            )
            return (HostProblem(message=message, start=position, end=position + len(label)),)
        position += len(label) + 1
    return ()


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _wildcard_domain_problems(domain: str) -> tuple[HostProblem, ...]:
    """ValidateWildcardDomain (§2.9): a domain whose first label may be a wildcard."""
    problems = _length_problems(domain)
    if problems:
        return problems
    first, dot, rest = domain.partition(".")
    if not is_wildcard_dns1123_label(first):
        message = (
            f"domain name {quoted(domain)} is invalid: first label {quoted(first)} is not "
            "valid; it may be "
            "'*', or a label optionally preceded by '*' or '*-', where " + _LABEL_RULE
        )
        return (HostProblem(message=message, start=0, end=len(first)),)
    if dot:
        return _label_problems(domain, rest, len(first) + 1)
    return ()


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _fqdn_problems(domain: str) -> tuple[HostProblem, ...]:
    """ValidateFQDN (§2.9): like a wildcard domain, but no wildcard and one label is enough."""
    return _length_problems(domain) or _label_problems(domain, domain, 0)


def check_wildcard_domain(d: str) -> list[str]:
    """Problems with ``d`` as a domain whose first label may be a wildcard (§2.9); [] if none."""
    return [problem.message for problem in _wildcard_domain_problems(d)]


def check_fqdn(d: str) -> list[str]:
    """Problems with ``d`` as a fully qualified domain name (§2.9); [] if none."""
    return [problem.message for problem in _fqdn_problems(d)]


def check_unix_address(a: str) -> list[str]:
    """Problems with ``a``, a Unix socket address after its ``unix://`` prefix (§2.9)."""
    if not a:
        return ["the unix socket address must not be empty; write unix:///path/to/socket"]
    if a[:1] == "@":  # abstract sockets are not files
        return []
    if a[:1] != "/" or a[-1:] == "/":
        message = (
            f"{quoted(a)} is not an absolute path to a file; "
            "write unix:///path/to/socket or unix://@abstract-name"
        )
        return [message]
    return []


# --------------------------------------------------------------------------- IP literals

_HEX: Final = frozenset("0123456789abcdefABCDEF")
_IPV6_BYTES: Final = 16


def _ipv4_ok(text: str) -> bool:
    # netip.ParseAddr's IPv4 rules: four decimal fields 0-255, no leading zeros, nothing else.
    fields = text.split(".")
    if len(fields) != 4:  # noqa: PLR2004 - an IPv4 address has four fields
        return False
    for field in fields:
        if not field or not field.isascii() or not field.isdigit():
            return False
        if (len(field) > 1 and field[0] == "0") or int(field) > 255:  # noqa: PLR2004
            return False
    return True


def _ipv6_ok(text: str) -> bool:  # noqa: C901, PLR0911, PLR0912 - mirrors netip.parseIPv6 step by step
    body, percent, zone = text.partition("%")
    if percent and not zone:
        return False  # an explicit zone must not be empty
    s = body
    filled = 0  # bytes of the address parsed so far
    ellipsis = -1
    if s[:2] == "::":
        ellipsis = 0
        s = s[2:]
        if not s:
            return True
    while filled < _IPV6_BYTES:
        digits = 0
        while digits < len(s) and s[digits] in _HEX:
            digits += 1
            if digits > 4:  # noqa: PLR2004 - at most four hex digits per group
                return False
        if digits == 0:
            return False
        if digits < len(s) and s[digits] == ".":
            # An embedded IPv4 address takes the last four bytes.
            if (ellipsis < 0 and filled != 12) or filled + 4 > _IPV6_BYTES:  # noqa: PLR2004
                return False
            if not _ipv4_ok(s):
                return False
            s = ""
            filled += 4
            break
        filled += 2
        s = s[digits:]
        if not s:
            break
        if s[0] != ":" or len(s) == 1:
            return False
        s = s[1:]
        if s[0] == ":":
            if ellipsis >= 0:
                return False  # only one '::'
            ellipsis = filled
            s = s[1:]
            if not s:
                break
    if s:
        return False  # trailing characters
    if filled < _IPV6_BYTES:
        return ellipsis >= 0
    return ellipsis < 0  # '::' must stand for at least one group of zeros


@functools.lru_cache(maxsize=_CACHE_SIZE)
def is_ip_address(s: str) -> bool:
    """True when Go's ``netip.ParseAddr`` accepts ``s`` (§2.9).

    IPv4 is dotted-quad without leading zeros; IPv6 may carry a zone (``fe80::1%eth0``)
    and an embedded IPv4 tail. CIDR prefixes and brackets are not addresses.
    """
    for char in s:
        if char == ".":
            return _ipv4_ok(s)
        if char == ":":
            return _ipv6_ok(s)
        if char == "%":
            return False
    return False


# --------------------------------------------------------------------------- V23

_EMPTY_PART: Final = "the namespace and the dnsName of a host entry must not be empty"


@functools.lru_cache(maxsize=_CACHE_SIZE)
def check_egress_host(text: str) -> tuple[HostProblem, ...]:
    """Problems with one ``egress[].hosts`` entry, each with the span of text it is about (V23).

    An entry reads ``namespace/dnsName``; the namespace may be ``*``, ``.``, a namespace name
    or empty, optionally preceded by one ``~`` (exclusion); the dnsName is ``*``, or a fully
    qualified name whose first label may be ``*``.

    >>> (problem,) = check_egress_host("prod/*foo.com")
    >>> print(problem.caret("prod/*foo.com"))
    prod/*foo.com
         ^^^^^^^^
    """
    namespace, slash, dns_name = text.partition("/")
    if not slash:
        message = (
            f"host {quoted(text)} must have the form namespace/dnsName, "
            "such as 'istio-system/*' or './reviews.default.svc.cluster.local'"
        )
        return (HostProblem(message=message, start=0, end=len(text)),)
    offset = len(namespace) + 1
    problems: list[HostProblem] = []
    if not namespace:
        problems.append(HostProblem(message=_EMPTY_PART, start=0, end=0))
    if not dns_name:
        problems.append(HostProblem(message=_EMPTY_PART, start=offset, end=offset))
    bare = namespace[1:] if namespace[:1] == "~" else namespace
    if bare not in {"", "*", "."} and not is_dns1123_label(bare):
        message = (
            f"invalid namespace {quoted(namespace)} in host {quoted(text)}: use '*', '.', "
            "or a namespace "
            "name (a DNS-1123 label), optionally preceded by one '~' to exclude"
        )
        problems.append(HostProblem(message=message, start=0, end=len(namespace)))
    if dns_name != "*" and "." not in dns_name:
        message = (
            f"short name {quoted(dns_name)} is not allowed: write a fully qualified name, "
            "such as 'reviews.default.svc.cluster.local', or '*'"
        )
        problems.append(HostProblem(message=message, start=offset, end=len(text)))
    # Upstream appends a failed domain check twice unless the dnsName is an IP; once is enough.
    problems.extend(p.shifted(offset) for p in _wildcard_domain_problems(dns_name))
    if "*" in dns_name and dns_name != "*" and dns_name[:2] != "*.":
        message = (
            f"partial wildcard {quoted(dns_name)} is not allowed: a wildcard must be the whole "
            "first label, as in '*.example.com', or the whole name, '*'"
        )
        problems.append(HostProblem(message=message, start=offset, end=len(text)))
    return tuple(problems)
