"""Validation over generated Sidecars: valid ones pass, broken ones break their rule only.

And the fuzz side: nothing a model object or JSON-like data can hold makes ``validate``
raise anything but a :class:`~sidecar_model.SidecarModelError`.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sidecar_model as sm
from sidecar_model import strategies as sms
from sidecar_model.validation import RULES

pytestmark = pytest.mark.property


@given(sms.sidecars())
def test_valid_sidecars_have_no_finding(sidecar: sm.Sidecar) -> None:
    result = sm.validate(sidecar)
    assert not result.errors, str(result)
    assert not result.warnings, str(result)
    result.raise_for_errors()


@given(sms.resources())
def test_valid_resources_have_no_finding(resource: sm.Resource[sm.Sidecar]) -> None:
    result = sm.validate(resource)
    assert not result.diagnostics, str(result)


def _only(result: sm.ValidationResult, rule: str) -> None:
    """``rule`` fires, with the severity the registry gives it, and nothing else does."""
    assert {d.code for d in result.diagnostics} == {rule}, str(result)
    assert {d.severity for d in result.diagnostics} <= set(RULES[rule].severities)


@given(sms.sidecars(valid=False))
def test_broken_sidecars_break_their_rule_only(broken: sms.BrokenSidecar) -> None:
    _only(sm.validate(broken.sidecar), broken.rule)


@given(sms.resources(valid=False))
def test_broken_resources_break_their_rule_only(broken: sms.BrokenResource) -> None:
    _only(sm.validate(broken.resource), broken.rule)


@pytest.mark.parametrize("rule", sms.BREAKABLE_RULES)
def test_every_rule_can_be_broken_alone(rule: str) -> None:
    # Each rule gets a tenth of the budget; the property as a whole gets all of it above.
    budget = max(10, settings().max_examples // 10)

    @settings(max_examples=budget)
    @given(sms.sidecars(valid=False, rules=[rule]))
    def check(broken: sms.BrokenSidecar) -> None:
        assert broken.rule == rule
        _only(sm.validate(broken.sidecar), rule)

    check()


@given(sms.arbitrary_resources(), st.none() | sms.dns_labels())
def test_validate_never_fails_on_model_objects(
    resource: sm.Resource[sm.Sidecar], namespace: str | None
) -> None:
    for result in (
        sm.validate(resource, namespace=namespace),
        sm.validate(resource.spec, namespace=namespace),
    ):
        assert str(result)
        assert result.to_dict()["ok"] is result.ok


scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
keys = st.sampled_from(
    ["egress", "ingress", "hosts", "port", "number", "protocol", "bind", "captureMode", "tls",
     "mode", "workloadSelector", "labels", "connectionPool", "tcp", "http", "idleTimeout",
     "outboundTrafficPolicy", "egressProxy", "host", "defaultEndpoint", "inboundConnectionPool"]
) | st.text(max_size=6)  # fmt: skip
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


@given(json_like)
def test_structure_then_validate_raises_only_library_errors(data: Any) -> None:
    try:
        sidecar = sm.structure(data, sm.Sidecar)
    except sm.SidecarModelError:
        return
    result = sm.validate(sidecar)
    if result.errors:
        with pytest.raises(sm.ValidationError) as raised:
            result.raise_for_errors()
        assert raised.value.diagnostics == result.errors
