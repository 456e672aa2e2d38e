"""The library against the independent reference on meshes Hypothesis chooses.

The default run tries ``SIDECAR_MODEL_PROPERTY_EXAMPLES`` (60) seeds of the raw-mesh
generator, ``nox -s property`` 2,000. ``event()`` names every branch each mesh reaches, so
``--hypothesis-show-statistics`` prints the share of examples reaching each, and
``target()`` steers the search towards meshes with many shadowed hosts, socket-binding
listeners and shared listeners, the rarest outcomes.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given, target
from hypothesis import strategies as st

from tests.oracle import compare, gen, switches
from tests.test_oracle import reached

pytestmark = pytest.mark.property


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_library_agrees_with_the_reference(seed: int) -> None:
    on = switches.enabled()
    text, features = gen.generate(seed, on)
    got = compare.library_answers(text)
    want = compare.reference_answers(text, on)
    for name in sorted(reached(text, features)):
        event(name)
    listeners = [x for answers in want.values() for x in answers["outbound"]]
    target(float(sum(len(x["shadowed"]) for x in listeners)), label="shadowed hosts")
    target(float(sum(x["binds_socket"] for x in listeners)), label="socket-binding listeners")
    target(float(sum(len(x["hosts"]) > 1 for x in listeners)), label="shared listeners")
    difference = compare.first_difference(got, want)
    assert difference is None, f"seed {seed}: {difference}"
