"""``recommend`` on generated meshes and traffic: kept calls, validity, sizes, idempotence.

Meshes come from :func:`sidecar_model.strategies.mesh_resources`; traffic is drawn from what
each workload's proxy carries today (a call that was observed working went through one of
its listeners), so every drawn call is to a declared host and must be kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sidecar_model as sm
from sidecar_model import resolver
from sidecar_model import strategies as sms
from sidecar_model.mesh import Mesh, MeshConfig, ProxyType
from sidecar_model.recommendation import Recommendation, recommend
from sidecar_model.traffic import Call, Traffic
from tests.test_resolver import CONFIGS

if TYPE_CHECKING:
    from sidecar_model.resources import Resource

pytestmark = pytest.mark.property

Resources = list["Resource[Any]"]
#: The issue's acceptance: at least this many generated meshes per property.
EXAMPLES = 200


def _carried_calls(mesh: Mesh) -> list[Call]:
    """Every (workload, declared host, port) some outbound listener carries today."""
    calls: list[Call] = []
    seen: set[tuple[str, str]] = set()
    declared = mesh.services_by_hostname
    for workload in mesh.workloads:
        key = (workload.namespace, workload.name)
        if workload.proxy_type is not ProxyType.SIDECAR or key in seen:
            continue
        seen.add(key)
        scope = resolver.compute_scope(mesh, workload)
        for listener in resolver.outbound_listeners(scope):
            calls.extend(
                Call(namespace=key[0], caller=key[1], host=host, port=listener.port)
                for host in listener.hosts
                if any(s.port(listener.port) is not None for s in declared.get(host, ()))
            )
    return sorted(set(calls), key=str)


@st.composite
def meshes_and_traffic(draw: st.DrawFn) -> tuple[Resources, MeshConfig, Traffic]:
    resources = draw(sms.mesh_resources())
    config = draw(st.sampled_from(CONFIGS))
    carried = _carried_calls(Mesh.from_resources(resources, config=config))
    chosen = draw(st.lists(st.sampled_from(carried), unique=True)) if carried else []
    return resources, config, Traffic(calls=tuple(chosen))


def _applied(resources: Resources, recommendation: Recommendation) -> Resources:
    """``kubectl apply``: a recommended Sidecar replaces the one of the same name, whose
    creation time it keeps.
    """
    old = {(r.namespace, r.name): r for r in resources if r.kind == "Sidecar"}
    new = [
        attrs.evolve(
            s,
            metadata=attrs.evolve(
                s.metadata, creation_timestamp=old[key].metadata.creation_timestamp
            ),
        )
        if (key := (s.namespace, s.name)) in old
        else s
        for s in recommendation.sidecars
    ]
    kept = [r for key, r in old.items() if key not in {(s.namespace, s.name) for s in new}]
    return [*(r for r in resources if r.kind != "Sidecar"), *kept, *new]


@settings(max_examples=EXAMPLES)
@given(meshes_and_traffic(), st.sampled_from(["namespace", "workload"]))
def test_recommendation_keeps_validates_shrinks_and_is_idempotent(
    case: tuple[Resources, MeshConfig, Traffic], per: str
) -> None:
    resources, config, traffic = case
    mesh = Mesh.from_resources(resources, config=config)
    first = recommend(mesh, traffic, per="workload" if per == "workload" else "namespace")
    # Every observed call to a declared host is kept, on its port, as the resolver says.
    kept = {(k.call, port) for k in first.kept for port in k.ports}
    assert {(c, c.port) for c in traffic.calls} <= kept
    assert not first.not_kept
    # Each recommended Sidecar passes the webhook's checks.
    for sidecar in first.sidecars:
        result = sm.validate(sidecar)
        assert result.ok, result.errors
    # No governed workload's proxy gets more configuration than today.
    for size in first.sizes:
        assert size.after.fits_in(size.before), size
    # Recommending again from the same evidence on the applied mesh gives the same Sidecars.
    again = Mesh.from_resources(_applied(resources, first), config=config)
    second = recommend(again, traffic, per="workload" if per == "workload" else "namespace")
    assert second.sidecars == first.sidecars
    # And on the applied mesh, every call is still carried by the workload's listeners.
    for item in first.kept:
        workload = item.workload
        listeners = resolver.outbound_listeners(resolver.compute_scope(again, workload))
        for port in item.ports:
            assert any(
                listener.port == port and item.hostname in listener.hosts for listener in listeners
            ), item
