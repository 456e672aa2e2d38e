"""The library's host primitives against the reference's brute-force ones (§5.1), exhaustively.

Every pair (and every needle against every key set) drawn from a small universe of names:
exact names one to three labels deep over labels that are suffixes of one another (``a``,
``ba``), label-aligned wildcards, the bare ``*``, and partial wildcards such as ``*a.com``
(§5.1.6), where a one-character slip in a suffix comparison shows.
"""

from __future__ import annotations

import itertools

import pytest

from sidecar_model.hosts import matches, subset_of
from sidecar_model.mesh._index import most_specific_match
from tests.oracle import reference

LABELS = ("a", "ba", "b")
EXACT = sorted(
    {".".join((*labels, "com")) for n in (1, 2) for labels in itertools.product(LABELS, repeat=n)}
)
WILDCARDS = sorted(
    {"*", "*.com", "*com", "*a.com"}
    | {f"*.{name}" for name in EXACT}
    | {f"*{name}" for name in EXACT if name.count(".") == 1}
)
NAMES = [*EXACT, *WILDCARDS]


@pytest.mark.parametrize("n", NAMES)
def test_subset_of_and_matches_agree_with_the_reference(n: str) -> None:
    for o in NAMES:
        assert subset_of(n, o) == reference.subset_of(n, o), (n, o)
        assert matches(n, o) == reference.overlaps(n, o), (n, o)


@pytest.mark.parametrize("needle", NAMES)
def test_most_specific_match_agrees_with_the_reference(needle: str) -> None:
    exact = set(EXACT[::2])
    for size in (1, 2, 3):
        for keys in itertools.combinations(WILDCARDS, size):
            got = most_specific_match(needle, dict.fromkeys(exact, 0), dict.fromkeys(keys, 0))
            want = reference.most_specific_host_match(needle, exact, set(keys))
            assert got == want, (needle, keys)
