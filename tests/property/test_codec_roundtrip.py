"""Round-trip properties of the codec over generated model values.

Valid resources come from :func:`sidecar_model.strategies.resources`; arbitrary ones (any
text in any field, valid or not) from :func:`~sidecar_model.strategies.arbitrary_resources`,
which exercises every field and type the codec handles.
"""

from __future__ import annotations

from typing import Literal

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
