"""Hypothesis strategies for Istio Sidecars, their resources, and whole meshes.

Install the extra (``pip install sidecar-model[hypothesis]``) and use them in your own
property tests::

    from hypothesis import given
    from sidecar_model import strategies as sms

    @given(sms.sidecars())
    def test_my_linter_accepts_valid_sidecars(sidecar): ...

Three layers, each shrinking toward small, readable values (``a``, ``shop``, port 80):

* building blocks: :func:`dns_labels`, :func:`fqdns`, :func:`wildcard_hosts`,
  :func:`egress_hosts`, :func:`port_numbers`, :func:`protocols`, :func:`unix_binds`,
  :func:`durations`, :func:`label_maps`, :func:`ip_addresses`;
* :func:`sidecars` and :func:`resources`: valid by construction (``validate()`` reports no
  error and no warning), or, with ``valid=False``, broken in exactly one named rule
  (:class:`BrokenSidecar`, :class:`BrokenResource`);
* :func:`arbitrary_sidecars` and :func:`arbitrary_resources`: any value the model can hold,
  valid or not, for fuzzing;
* :func:`mesh_resources` and :func:`meshes`: namespaces, Services, ServiceEntries, Sidecars,
  VirtualServices, DestinationRules and workloads, for :class:`~sidecar_model.mesh.Mesh`.

Installing the package also registers these strategies with :func:`hypothesis.strategies.
from_type` (through Hypothesis' entry point), so ``st.from_type(Sidecar)`` yields valid Sidecars.
Rule codes are those of the validation rule reference (``V23`` and so on).
"""

from sidecar_model.strategies._arbitrary import arbitrary_resources, arbitrary_sidecars
from sidecar_model.strategies._broken import (
    BREAKABLE_RESOURCE_RULES,
    BREAKABLE_RULES,
    BrokenResource,
    BrokenSidecar,
)
from sidecar_model.strategies._listeners import (
    connection_pools,
    egress_listeners,
    ingress_listeners,
    outbound_traffic_policies,
    server_tls_settings,
)
from sidecar_model.strategies._meshes import mesh_resources, meshes
from sidecar_model.strategies._sidecars import object_metas, resources, sidecars
from sidecar_model.strategies._values import (
    dns_labels,
    durations,
    egress_hosts,
    fqdns,
    hosts,
    ip_addresses,
    label_maps,
    port_names,
    port_numbers,
    protocols,
    unix_binds,
    wildcard_hosts,
)

__all__ = [
    "BREAKABLE_RESOURCE_RULES",
    "BREAKABLE_RULES",
    "BrokenResource",
    "BrokenSidecar",
    "arbitrary_resources",
    "arbitrary_sidecars",
    "connection_pools",
    "dns_labels",
    "durations",
    "egress_hosts",
    "egress_listeners",
    "fqdns",
    "hosts",
    "ingress_listeners",
    "ip_addresses",
    "label_maps",
    "mesh_resources",
    "meshes",
    "object_metas",
    "outbound_traffic_policies",
    "port_names",
    "port_numbers",
    "protocols",
    "resources",
    "server_tls_settings",
    "sidecars",
    "unix_binds",
    "wildcard_hosts",
]
