"""Resolve a mesh the way istiod does: selection, visibility, scopes, listeners, explanations.

Every function takes a :class:`~sidecar_model.Mesh` (and a workload or a scope) and returns
frozen result values with a prose ``__str__``, a ``_repr_html_`` for notebooks and a
JSON-ready ``to_dict()``. Rule numbers (§5.4, L4, MSP2, ...) are those of the docs page
"How istiod decides".

Scopes are computed once per (Sidecar, config namespace) and cached per mesh (§3.9): the
workloads of a mesh share a few distinct scopes. Candidate services and VirtualServices for
an egress listener are found through the mesh's indexes; the import decision applied to them
is the one istiod applies to every visible service, so the result is the same as a full scan.

The work is split by what it decides, in private modules: ``_selection`` (§3),
``_visibility`` (§4), ``_imports`` and ``_virtual_services`` (§5.2 to §5.8), ``_scope``
(§5.0, §5.9), ``_port_plan``, ``_builder`` and ``_outbound`` (§5.11 to §5.16), ``_inbound``
(§6) and ``_explain``.
"""

from __future__ import annotations

from sidecar_model.resolver._explain import HostExplanation, explain_host
from sidecar_model.resolver._inbound import InboundListener, inbound_listeners
from sidecar_model.resolver._listener_values import (
    OutboundListener,
    OutboundRoute,
    UnmatchedTraffic,
)
from sidecar_model.resolver._outbound import (
    outbound_listeners,
    outbound_routes,
    unmatched_traffic,
)
from sidecar_model.resolver._scope import EgressScope, InboundPool, SidecarScope, compute_scope
from sidecar_model.resolver._selection import (
    Candidate,
    SelectionOrigin,
    SidecarSelection,
    select_sidecar,
)
from sidecar_model.resolver._size import ConfigSize, config_size
from sidecar_model.resolver._visibility import (
    MergedDestinationRule,
    destination_rules_for,
    is_service_visible,
    services_visible_to,
    virtual_services_visible_to,
)

__all__ = [
    "Candidate",
    "ConfigSize",
    "EgressScope",
    "HostExplanation",
    "InboundListener",
    "InboundPool",
    "MergedDestinationRule",
    "OutboundListener",
    "OutboundRoute",
    "SelectionOrigin",
    "SidecarScope",
    "SidecarSelection",
    "UnmatchedTraffic",
    "compute_scope",
    "config_size",
    "destination_rules_for",
    "explain_host",
    "inbound_listeners",
    "is_service_visible",
    "outbound_listeners",
    "outbound_routes",
    "select_sidecar",
    "services_visible_to",
    "unmatched_traffic",
    "virtual_services_visible_to",
]
