"""The library against the independent reference of ``tests/oracle`` on 1,000 generated meshes.

Each mesh is YAML text from :func:`tests.oracle.gen.generate`; the library answers through
its public API (``Mesh.from_resources(loads(text))``, ``resolver.select_sidecar``,
``compute_scope``, ``outbound_listeners``, ``inbound_listeners``), the reference from the
same text with nothing of the library, and every field of every answer must agree for every
workload. The generator's reach is measured here too, and each area still waiting for a
library fix (``tests/oracle/switches.py``) must still disagree: when one stops disagreeing,
its fix has landed and its switch should be turned on.
"""

from __future__ import annotations

import collections
from typing import Any

import pytest

from tests.oracle import compare, gen, reference, switches

BLOCKS = 10
PER_BLOCK = 100
#: Switches that no generated input reaches yet (their library fields do not exist yet).
NO_INPUTS: frozenset[str] = frozenset()
#: The least share of 1,000 meshes that must reach each branch (about half the measured one,
#: documented in ``tests/oracle/gen.py``), so that a generator change cannot lose one quietly.
FLOORS = {
    "egress bind": 0.31,
    "egress captureMode NONE": 0.20,
    "unix socket listener": 0.17,
    "interception NONE": 0.22,
    "interception TPROXY": 0.10,
    "ported plus catch-all": 0.42,
    "ported only": 0.27,
    "HTTP_PROXY listener": 0.22,
    "reserved proxy port": 0.13,
    "exportTo .": 0.30,
    "exportTo *": 0.31,
    "exportTo ~": 0.31,
    "exportTo namespace": 0.42,
    "exportTo annotation": 0.47,
    "exclusion host": 0.40,
    "host ns/*": 0.47,
    "host */*": 0.40,
    "host ./name": 0.40,
    "host */wildcard": 0.39,
    "host ns/exact": 0.41,
    "root default": 0.34,
    "workload selector": 0.39,
    "empty selector": 0.05,
    "headless service": 0.15,
    "ExternalName alias": 0.07,
    "wildcard ServiceEntry": 0.19,
    "ServiceEntry shadowing a Service": 0.12,
    "VirtualService sourceNamespace": 0.16,
    "VirtualService mirror": 0.13,
    "VirtualService tcp route": 0.12,
    "defaultVirtualServiceExportTo .": 0.08,
    "defaultServiceExportTo .": 0.08,
    "ingress listener": 0.28,
    "dual-stack or IPv6 pod": 0.14,
    "waypoint pod": 0.08,
    "malformed egress host": 0.12,
    "listener with shadowed hosts": 0.05,
    "socket-binding listener": 0.26,
    "unix socket listener built": 0.09,
    "ported and catch-all listeners in one proxy": 0.13,
    "TCP services sharing a listener": 0.04,
    "sniffed listener on a service address": 0.18,
    "inbound listener": 0.40,
    "gateway default scope": 0.08,
}


@pytest.mark.parametrize("block", range(BLOCKS))
def test_library_agrees_with_the_reference(block: int) -> None:
    """100 meshes per block, every workload of each, every field of every answer."""
    on = switches.enabled()
    for seed in range(block * PER_BLOCK, (block + 1) * PER_BLOCK):
        text, _ = gen.generate(seed, on)
        got = compare.library_answers(text)
        want = compare.reference_answers(text, on)
        assert set(got) == set(want), seed
        difference = compare.first_difference(got, want)
        assert difference is None, f"seed {seed}: {difference}"


def reached(text: str, features: frozenset[str]) -> set[str]:
    """The generator's features plus outcomes the reference's answers show."""
    found = set(features)
    cluster = reference.build(text, frozenset())
    for pod in cluster.pods:
        if pod.kind != "sidecar":
            found.add("gateway default scope")
        listeners = reference.outbound(cluster, pod)
        egress, _ = reference.egress_of(cluster, pod)
        ported = {e.index for e in egress if e.listener.get("port") is not None}
        indexes = {x["egress_index"] for x in listeners}
        found.update(_listener_outcomes(listeners))
        if indexes & ported and indexes - ported:
            found.add("ported and catch-all listeners in one proxy")
        if reference.inbound(cluster, pod):
            found.add("inbound listener")
    return found


def _listener_outcomes(listeners: list[dict[str, Any]]) -> set[str]:
    found = set()
    for x in listeners:
        if x["shadowed"]:
            found.add("listener with shadowed hosts")
        if x["binds_socket"]:
            found.add("socket-binding listener")
        if x["port"] == 0:
            found.add("unix socket listener built")
        if x["protocol"] in {"TCP", "Redis", "MySQL", "HTTPS"} and len(x["hosts"]) > 1:
            found.add("TCP services sharing a listener")
        if x["route"] and x["route"].endswith(f":{x['port']}"):
            found.add("sniffed listener on a service address")
    return found


def test_the_generator_reaches_every_branch() -> None:
    counts: collections.Counter[str] = collections.Counter()
    meshes = 1000
    for seed in range(meshes):
        text, features = gen.generate(seed)
        counts.update(reached(text, features))
    shares = {name: counts[name] / meshes for name in FLOORS}
    low = {name: share for name, share in shares.items() if share < FLOORS[name]}
    assert not low, low
    # Only the inputs of areas switched off are missing.
    assert set(gen.FEATURES) - counts.keys() <= {
        "delegate VirtualService",
        "gateway pod",
        "outbound traffic policy",
    }


def _still_disagrees(name: str) -> bool:
    on = switches.enabled() | {name}
    for seed in range(400):
        text, _ = gen.generate(seed, on)
        if compare.first_difference(
            compare.library_answers(text), compare.reference_answers(text, on)
        ):
            return True
    return False


def test_each_pending_area_still_disagrees() -> None:
    """An area waiting for a fix disagrees on some mesh; once none does, turn its switch on."""
    pending = sorted(set(switches.PENDING) - NO_INPUTS - switches.enabled())
    agreeing = [name for name in pending if not _still_disagrees(name)]
    assert not agreeing, f"the library now agrees on {agreeing}: add them to ENABLED"


def test_a_difference_names_its_place() -> None:
    got = {"w": {"outbound": [{"hosts": ("a",)}]}}
    want = {"w": {"outbound": [{"hosts": ("a", "b")}]}}
    found = compare.first_difference(got, want)
    assert found is not None
    assert found.startswith("['w']['outbound'][0]['hosts']: library has 1 items, reference 2")
    assert compare.first_difference(want, want) is None
