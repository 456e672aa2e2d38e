"""Host lookups by dictionary probes: most specific match (§5.1.5) and label suffixes."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping


# --------------------------------------------------------------------------- host index


T = TypeVar("T")


class HostIndex:
    """Exact and wildcard keys with istiod's most-specific lookup (§5.1.5), by dictionary probes.

    Equivalent to :func:`most_specific_match` over the same keys, but a
    lookup costs one probe per label of the needle instead of a scan of every wildcard key.
    """

    __slots__ = ("_exact", "_irregular", "_wildcard")

    def __init__(self, keys: Iterable[str]) -> None:
        """Index ``keys`` (hostnames, possibly wildcards)."""
        self._exact: set[str] = set()
        self._wildcard: set[str] = set()
        # Wildcards whose rest does not start at a label ("*foo.com"): rare, scanned.
        self._irregular: list[str] = []
        for key in keys:
            if not key.startswith("*"):
                self._exact.add(key)
            elif key == "*" or key[1] == ".":
                self._wildcard.add(key)
            else:
                self._wildcard.add(key)
                self._irregular.append(key)

    def lookup(self, needle: str) -> str | None:
        """The most specific key matching ``needle``, or None (§5.1.5)."""
        if needle.startswith("*"):
            if needle in self._wildcard:
                return needle
            rest = needle[1:]
        else:
            if needle in self._exact:
                return needle
            rest = needle
        best: str | None = None
        start = rest.find(".")
        while start >= 0:
            key = "*" + rest[start:]
            if key in self._wildcard:
                best = key
                break
            start = rest.find(".", start + 1)
        if best is None and "*" in self._wildcard:
            best = "*"
        for key in self._irregular:
            if rest.endswith(key[1:]) and (best is None or more_specific(key, best)):
                best = key
        return best


def more_specific(a: str, b: str) -> bool:
    """True when ``a`` sorts before ``b`` (§5.1.4): exact first, then longer, then A to Z."""
    if not a and not b:
        return True  # as istiod: the order of two empty names does not matter
    a_wild = a[:1] == "*"
    b_wild = b[:1] == "*"
    if a_wild != b_wild:
        return b_wild
    if len(a) == len(b):
        return a < b
    return len(a) > len(b)


def most_specific_match(
    needle: str, exact: Mapping[str, T], wildcard: Mapping[str, T]
) -> str | None:
    """The key of ``exact`` or ``wildcard`` that best matches ``needle`` (§5.1.5), or None.

    An exact needle is first looked up in ``exact``; a wildcard needle is first looked up
    verbatim in ``wildcard``. Otherwise the most specific wildcard key whose suffix (the key
    without its ``*``) ends the needle (without its ``*``) wins.

    >>> most_specific_match("a.b.com", {}, {"*.com": 1, "*.b.com": 2, "*": 3})
    '*.b.com'
    """
    if needle[:1] == "*":
        if needle in wildcard:
            return needle
        needle = needle[1:]
    elif needle in exact:
        return needle
    best: str | None = None
    for key in wildcard:
        if needle.endswith(key[1:]) and (best is None or more_specific(key, best)):
            best = key
    return best


def dot_suffixes(hostname: str) -> Iterator[str]:
    """The label-aligned suffixes of a hostname's non-wildcard part, with their dot.

    ``a.example.com`` yields ``.example.com`` and ``.com``; ``*.example.com`` yields
    ``.example.com`` and ``.com``. A wildcard ``*<s>`` covers exactly the names indexed under
    ``<s>`` (§5.1.2), which is how the resolver finds them without a scan.
    """
    rest = hostname.removeprefix("*")
    start = 0 if rest.startswith(".") else rest.find(".")
    while start >= 0:
        yield rest[start:]
        start = rest.find(".", start + 1)
