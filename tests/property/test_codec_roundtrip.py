"""Round-trip properties of the codec over generated model values.

Valid resources come from :func:`sidecar_model.strategies.resources`; arbitrary ones (any
text in any field, valid or not) from :func:`~sidecar_model.strategies.arbitrary_resources`,
which exercises every field and type the codec handles.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sidecar_model as sm
from sidecar_model import strategies as sms

pytestmark = pytest.mark.property

formats = st.sampled_from(["yaml", "json"])
any_resources = sms.resources() | sms.arbitrary_resources()


@given(st.lists(any_resources, min_size=1, max_size=3), formats)
def test_loads_dumps_round_trip(
    items: list[sm.Resource[sm.Sidecar]], fmt: Literal["yaml", "json"]
) -> None:
    text = sm.dumps(items, format=fmt)
    assert sm.loads(text) == items
    assert sm.dumps(sm.loads(text), format=fmt) == text


@given(any_resources, formats)
def test_dumps_is_stable(resource: sm.Resource[sm.Sidecar], fmt: Literal["yaml", "json"]) -> None:
    assert sm.dumps(resource, format=fmt) == sm.dumps(resource, format=fmt)
    assert sm.dumps(sm.loads(sm.dumps(resource, format=fmt)), format=fmt) == sm.dumps(
        resource, format=fmt
    )


@given(sms.sidecars() | sms.arbitrary_sidecars())
def test_structure_unstructure_round_trip(sidecar: sm.Sidecar) -> None:
    assert sm.structure(sm.unstructure(sidecar), sm.Sidecar) == sidecar


# Verbatim data: whatever JSON and YAML can hold, and some that they cannot (non-finite
# numbers, lone surrogates, nesting past the depth limit), at any depth.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\udfff"]), max_size=8)
)
_verbatim = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


def _nest(value: Any, depth: int) -> Any:
    for _ in range(depth):
        value = [value]
    return value


_deep_verbatim = st.builds(_nest, _verbatim, st.integers(0, 260))


@given(_verbatim | _deep_verbatim, formats)
def test_dump_writes_only_what_load_accepts(value: Any, fmt: Literal["yaml", "json"]) -> None:
    resource = sm.Resource(
        api_version="v1", kind="ConfigMap", metadata=sm.ObjectMeta(name="c"), spec=None,
        extra={"data": {"value": value}},
    )  # fmt: skip
    # What load makes of the same data written by another tool, such as kubectl.
    plain = json.dumps(sm.unstructure(resource))
    try:
        expected = sm.loads(plain)
    except sm.SidecarModelError:
        expected = None
    try:
        text = sm.dumps(resource, format=fmt)
    except sm.SidecarModelError:
        assert expected is None, "dumps refused data that loads accepts"
        return
    assert expected is not None, "dumps wrote data that loads refuses"
    assert sm.loads(text) == [resource] == expected
