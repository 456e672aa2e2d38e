"""Areas where today's library knowingly disagrees with Istio, each waiting for its fix.

The generator (:mod:`tests.oracle.gen`) produces inputs that reach an area only when its
switch is on, and the reference (:mod:`tests.oracle.reference`) always follows Istio there.
When the fix for an area lands, turn its switch on here (one line) and the agreement tests
cover it from then on. ``SIDECAR_MODEL_ORACLE_SWITCHES=all`` (or a comma-separated list of
names) turns switches on for one run, to see what still disagrees.
"""

from __future__ import annotations

import os
from typing import Final

#: name -> (rule, what the library does today that Istio does not, the work that fixes it)
PENDING: Final[dict[str, tuple[str, str, str]]] = {
    "gateway_detection": (
        "§3.6.1",
        (
            "pods using the `gateway` injection template (`inject.istio.io/templates: gateway`) or "
            "labelled `gateway.istio.io/managed: istio.io-gateway-controller` are taken for "
            "sidecars"
        ),
        "issue 12: mesh-building fidelity",
    ),
    "delegate_merge": (
        "§4.3.5",
        "delegate routes are not merged with their root route (matches, sourceNamespace, mirrors)",
        "issue 12: mesh-building fidelity",
    ),
    "service_entry_short_hosts": (
        "§0.4",
        "ServiceEntry hosts without a dot are expanded to <host>.<ns>.svc.<domain>, not verbatim",
        "issue 12: mesh-building fidelity",
    ),
    "blank_export_annotation": (
        "§4.2.1",
        "a whitespace-only exportTo annotation counts as unset instead of the set {''}",
        "issue 12: mesh-building fidelity",
    ),
    "kubernetes_port_protocol": (
        "§1.10.4",
        (
            "appProtocol kubernetes.io/h2c|ws|wss, `grpc-web` names and the well-known ports "
            "25, 53, 3306, 27017 are not converted as istiod converts them"
        ),
        "issue 12: mesh-building fidelity",
    ),
    "named_target_port": (
        "§4.2.6",
        "a named targetPort is ignored (the service port number is used on the inbound side)",
        "issue 12: mesh-building fidelity",
    ),
    "omitted_cluster_ip": (
        "§4.2.6",
        "a ClusterIP Service without clusterIP (not applied yet) is taken for a headless one",
        "found by the oracle; no issue yet",
    ),
    "filter_chain_collisions": (
        "L6, L6a, L6b",
        (
            "services whose filter chains collide on one (address, port) are all listed as served; "
            "istiod keeps the first chain and drops identical later ones"
        ),
        "issue 12: listener fidelity",
    ),
    "uds_tcp": (
        "§5.15",
        (
            "a unix-socket egress listener with a non-HTTP protocol gets a route of all services "
            "instead of a TCP proxy to the first imported service"
        ),
        "issue 12: listener fidelity",
    ),
    "partial_wildcard_hosts": (
        "§5.1.6",
        "VirtualService hosts such as `*foo.com` (a wildcard not at a label boundary)",
        "issue 12: host matching fidelity",
    ),
    "unmatched_traffic": (
        "§5.16.1",
        "listeners do not yet say where traffic no chain or virtual host claims goes",
        "issue 12: unmatched-traffic handling",
    ),
    "sniffed_route_owner": (
        "§5.12 R1, MSP3",
        (
            "a sniffed listener's route `<host>:P` has no owning egress listener "
            "(route_egress_index None); istiod resolves it like route `P`, against the first "
            "egress listener with port P or the catch-all (GetEgressListenerForRDS)"
        ),
        "found by the oracle; no issue yet",
    ),
    "reserved_inbound_ports": (
        "§6.2a",
        (
            "service-derived inbound ports equal to a proxy port (15021, 15090, 15001, 15006) "
            "get an inbound listener"
        ),
        (
            "found by the oracle; no issue yet (istiod's getFilterChainsByServicePort checks "
            "CanBindToPort against the wildcard for every service target port)"
        ),
    ),
}

#: Switches turned on: each name here has had its fix merged.
ENABLED: Final[frozenset[str]] = frozenset(
    {
        "blank_export_annotation",
        "delegate_merge",
        "filter_chain_collisions",
        "gateway_detection",
        "kubernetes_port_protocol",
        "named_target_port",
        "partial_wildcard_hosts",
        "reserved_inbound_ports",
        "omitted_cluster_ip",
        "service_entry_short_hosts",
        "sniffed_route_owner",
        "uds_tcp",
        "unmatched_traffic",
    }
)


def enabled() -> frozenset[str]:
    """The switches on for this run: :data:`ENABLED` plus the environment's choice."""
    extra = os.environ.get("SIDECAR_MODEL_ORACLE_SWITCHES", "")
    if extra.strip() == "all":
        return frozenset(PENDING)
    chosen = {name.strip() for name in extra.split(",") if name.strip()}
    unknown = chosen - set(PENDING)
    if unknown:
        msg = f"unknown oracle switches: {sorted(unknown)}"
        raise ValueError(msg)
    return ENABLED | chosen
