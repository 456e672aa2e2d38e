"""Hypothesis' entry point: ``st.from_type`` draws valid sidecar-model objects.

Hypothesis calls :func:`_hypothesis_setup_hook` when it is imported, through the
``[project.entry-points.hypothesis]`` table of ``pyproject.toml``. Nothing else imports this
module, so ``import sidecar_model`` never imports Hypothesis.
"""

from __future__ import annotations

import typing
from typing import Any

__all__: list[str] = []


def _hypothesis_setup_hook() -> None:
    """Register :mod:`sidecar_model.strategies` for the model classes with ``from_type``."""
    from hypothesis import strategies as st  # noqa: PLC0415 - only when Hypothesis runs

    from sidecar_model import model  # noqa: PLC0415
    from sidecar_model import strategies as sms  # noqa: PLC0415
    from sidecar_model.resources import ObjectMeta, Resource  # noqa: PLC0415

    registrations: dict[type[Any], st.SearchStrategy[Any]] = {
        model.Sidecar: sms.sidecars(),
        model.IstioIngressListener: sms.ingress_listeners(),
        model.IstioEgressListener: sms.egress_listeners(),
        model.ServerTLSSettings: sms.server_tls_settings(),
        model.ConnectionPoolSettings: sms.connection_pools(),
        model.OutboundTrafficPolicy: sms.outbound_traffic_policies(),
        model.Duration: sms.durations(),
        model.Port: st.builds(
            model.Port,
            number=sms.port_numbers(),
            protocol=st.none() | sms.protocols(),
            name=st.none() | sms.port_names(),
            target_port=st.none(),
        ),
        model.WorkloadSelector: st.builds(
            model.WorkloadSelector, labels=sms.label_maps(min_size=1)
        ),
        ObjectMeta: sms.object_metas(),
    }
    for cls, strategy in registrations.items():
        st.register_type_strategy(cls, strategy)
    sidecar_resources = sms.resources()

    def resources(thing: type[Any]) -> st.SearchStrategy[Any]:
        # Resource[Sidecar] (or a bare Resource) only: other kinds have specs of their own.
        if typing.get_args(thing) in {(), (model.Sidecar,)}:
            return sidecar_resources
        return NotImplemented  # type: ignore[no-any-return]

    st.register_type_strategy(Resource, resources)
