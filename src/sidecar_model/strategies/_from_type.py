"""What ``st.from_type`` draws for each model class (registered by Hypothesis' entry point)."""

from __future__ import annotations

import functools
import typing
from typing import Any

from hypothesis import strategies as st

from sidecar_model import model
from sidecar_model.resources import ObjectMeta, Resource
from sidecar_model.strategies._listeners import (
    connection_pools,
    egress_listeners,
    ingress_listeners,
    outbound_traffic_policies,
    server_tls_settings,
)
from sidecar_model.strategies._sidecars import object_metas, resources, sidecars
from sidecar_model.strategies._values import (
    durations,
    label_maps,
    port_names,
    port_numbers,
    protocols,
)


@functools.cache
def _by_class() -> dict[type[Any], st.SearchStrategy[Any]]:
    return {
        model.Sidecar: sidecars(),
        model.IstioIngressListener: ingress_listeners(),
        model.IstioEgressListener: egress_listeners(),
        model.ServerTLSSettings: server_tls_settings(),
        model.ConnectionPoolSettings: connection_pools(),
        model.OutboundTrafficPolicy: outbound_traffic_policies(),
        model.Duration: durations(),
        model.Port: st.builds(
            model.Port,
            number=port_numbers(),
            protocol=st.none() | protocols(),
            name=st.none() | port_names(),
            target_port=st.none(),
        ),
        model.WorkloadSelector: st.builds(model.WorkloadSelector, labels=label_maps(min_size=1)),
        ObjectMeta: object_metas(),
        Resource: resources(),
    }


def strategy_for(thing: type[Any]) -> st.SearchStrategy[Any]:
    """The strategy for ``thing``; ``NotImplemented`` for a Resource of another kind."""
    cls = typing.get_origin(thing) or thing
    # Resource[Sidecar] (or a bare Resource) only: other kinds have specs of their own.
    if cls is Resource and typing.get_args(thing) not in {(), (model.Sidecar,)}:
        return NotImplemented  # type: ignore[no-any-return]
    return _by_class()[cls]
