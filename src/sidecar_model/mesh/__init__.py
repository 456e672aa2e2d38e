"""The mesh inventory: services, routing rules, Sidecars and workloads as istiod sees them.

:class:`Mesh` normalises loaded resources into the values resolution reads: one
:class:`MeshService` per Kubernetes Service and per ServiceEntry host (and address), the
VirtualServices and DestinationRules with their hosts expanded (§4.3.4), the Sidecars in
istiod's order (§3.2), the :class:`Workload` values, and the :class:`MeshConfig`. It also
builds, once, the indexes that make :mod:`sidecar_model.resolver` fast; a mesh is never
changed after it is built.

Private modules by what they decide: ``_config`` (MeshConfig and policies), ``_values``
(the value types), ``_build`` with ``_kubernetes`` and ``_istio`` (conversion from
resources), ``_names`` and ``_order`` (host names, addresses, creation order), ``_index``
(host lookups), ``_applied`` (objects as a cluster holds them) and ``_mesh`` (the Mesh
and its visibility indexes).
"""

from __future__ import annotations

from sidecar_model.mesh._applied import DuplicateObjectWarning, as_applied
from sidecar_model.mesh._config import (
    LabelSelector,
    LabelSelectorRequirement,
    MeshConfig,
    MeshInboundTrafficPolicy,
    MeshOutboundMode,
    MeshOutboundTrafficPolicy,
    ServiceEntryVisibility,
    VisibilityMatchRule,
    VisibilityPolicy,
)
from sidecar_model.mesh._mesh import Mesh
from sidecar_model.mesh._values import (
    DestinationRuleInfo,
    IPFamily,
    MeshService,
    ProxyType,
    Registry,
    ServiceAlias,
    ServicePort,
    VirtualServiceInfo,
    Workload,
)

__all__ = [
    "DestinationRuleInfo",
    "DuplicateObjectWarning",
    "IPFamily",
    "LabelSelector",
    "LabelSelectorRequirement",
    "Mesh",
    "MeshConfig",
    "MeshInboundTrafficPolicy",
    "MeshOutboundMode",
    "MeshOutboundTrafficPolicy",
    "MeshService",
    "ProxyType",
    "Registry",
    "ServiceAlias",
    "ServiceEntryVisibility",
    "ServicePort",
    "VirtualServiceInfo",
    "VisibilityMatchRule",
    "VisibilityPolicy",
    "Workload",
    "as_applied",
]
