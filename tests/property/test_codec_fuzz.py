"""Arbitrary input never makes the codec raise anything but a located ManifestError."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import sidecar_model as sm

pytestmark = pytest.mark.property

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
keys = st.sampled_from(
    ["apiVersion", "kind", "metadata", "spec", "egress", "ingress", "hosts", "port", "number",
     "labels", "workloadSelector", "name", "items", "captureMode", "tls", "mode"]
) | st.text(max_size=6)  # fmt: skip
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
envelopes = st.fixed_dictionaries(
    {"apiVersion": st.just("networking.istio.io/v1"), "kind": st.just("Sidecar")},
    optional={"metadata": json_like, "spec": json_like, "status": json_like},
)


def _check(error: sm.ManifestError, *, from_text: bool = True) -> None:
    """Every problem says what is wrong; from text, it also says where."""
    assert error.problems
    for problem in error.problems:
        assert problem.message
        if from_text:
            assert problem.path or problem.line is not None


@given(json_like | envelopes)
def test_structure_raises_only_manifest_errors(data: Any) -> None:
    try:
        sm.structure(data, sm.Resource)
    except sm.ManifestError as error:
        _check(error, from_text=False)


@given(json_like | envelopes)
def test_loads_of_any_json_raises_only_manifest_errors(data: Any) -> None:
    try:
        text = json.dumps(data, allow_nan=False)
    except ValueError:
        return
    try:
        sm.loads(text)
    except sm.ManifestError as error:
        _check(error)


@given(json_like | envelopes)
def test_loads_of_any_yaml_raises_only_manifest_errors(data: Any) -> None:
    try:
        sm.loads(yaml.safe_dump(data))
    except sm.ManifestError as error:
        _check(error)


@given(st.binary(max_size=64) | st.text(max_size=64))
def test_loads_of_any_text_raises_only_manifest_errors(text: bytes | str) -> None:
    try:
        sm.loads(text)
    except sm.ManifestError as error:
        _check(error, from_text=False)
