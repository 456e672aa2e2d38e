"""The checks analyze runs: code, severity, title and summary of each (§7, SM0001 to SM0007)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from sidecar_model.validation import Severity

if TYPE_CHECKING:
    from collections.abc import Mapping


# =========================================================================== the checks


@attrs.frozen(kw_only=True)
class Check:
    """One analysis check: its stable code, severity, title and what it means."""

    code: str
    severity: Severity
    title: str
    summary: str
    #: Where the check comes from: ``istioctl analyze`` or ``sidecar-model``.
    origin: str

    def __str__(self) -> str:
        """``IST0101 (error, istioctl analyze): title``."""
        return f"{self.code} ({self.severity.value}, {self.origin}): {self.title}"


def _check(code: str, severity: Severity, title: str, summary: str) -> Check:
    origin = "istioctl analyze" if code.startswith("IST") else "sidecar-model"
    return Check(code=code, severity=severity, title=title, summary=summary, origin=origin)


#: Every code :func:`analyze` can report, in documentation order.
CHECKS: Final[Mapping[str, Check]] = {
    c.code: c
    for c in (
        _check(
            "IST0101",
            Severity.ERROR,
            "ReferencedResourceNotFound: the workload selector matches no pod",
            "A Sidecar's workloadSelector labels match no Pod in its namespace (§7 A2).",
        ),
        _check(
            "IST0110",
            Severity.ERROR,
            "ConflictingSidecarWorkloadSelectors: several Sidecars select one pod",
            "Two or more selector Sidecars match the same non-ambient Pod (§7 A3).",
        ),
        _check(
            "IST0111",
            Severity.ERROR,
            "MultipleSidecarsWithoutWorkloadSelectors",
            "A namespace has two or more Sidecars without selector labels (§7 A1, A6).",
        ),
        _check(
            "IST0167",
            Severity.WARNING,
            "IneffectivePolicy: the Sidecar applies to ambient workloads",
            "The Sidecar selects an ambient pod, or is namespace-wide in an ambient "
            "namespace (§7 A4, A5).",
        ),
        _check(
            "IST0002",
            Severity.WARNING,
            "Deprecated: outboundTrafficPolicy.egressProxy",
            "The egressProxy field is deprecated (§7.2), although istiod still uses it (T3).",
        ),
        _check(
            "SM0001",
            Severity.WARNING,
            "An egress host imports nothing",
            "An egress hosts entry matches no service and no VirtualService the Sidecar's "
            "namespace can import (§5.4, §5.6).",
        ),
        _check(
            "SM0002",
            Severity.WARNING,
            "A root-namespace Sidecar has a selector",
            "A Sidecar in the root namespace with a workloadSelector is never the mesh-wide "
            "default; it only applies to root-namespace workloads (§3.3).",
        ),
        _check(
            "SM0003",
            Severity.WARNING,
            "An empty workloadSelector",
            "workloadSelector: {} matches every workload of the namespace and outranks the "
            "namespace's selector-less Sidecar; istioctl analyze treats it as namespace-wide "
            "(§3.5, §7 A1).",
        ),
        _check(
            "SM0004",
            Severity.WARNING,
            "A ported listener hides catch-all hosts on its port",
            "Hosts the catch-all listener imports on port P get no listener or route on P, "
            "because the egress listener on P owns that port (MSP1, MSP2).",
        ),
        _check(
            "SM0005",
            Severity.WARNING,
            "A VirtualService for an imported host is not imported",
            "An egress listener imports a host, and imports no VirtualService for it, while a "
            "visible VirtualService routes it: VirtualServices are imported by their own "
            "namespace (§5.6, §5.17 E4), so the host gets default routing. One finding per "
            "egress listener.",
        ),
        _check(
            "SM0006",
            Severity.WARNING,
            "exportTo hides a host the Sidecar asks for",
            "An egress entry names ns/host exactly, the service exists in ns, but its exportTo "
            "does not reach the Sidecar's namespace (§4.2).",
        ),
        _check(
            "SM0007",
            Severity.WARNING,
            "outboundTrafficPolicy without a mode",
            "The Sidecar's outboundTrafficPolicy sets no mode: it means REGISTRY_ONLY, whatever "
            "the mesh-wide mode, and hosts outside the registry are blocked (T1; Kiali's "
            "KIA1007).",
        ),
    )
}
