"""The outbound traffic policy (V38, V39)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecar_model import hosts
from sidecar_model.errors import quoted
from sidecar_model.model import OutboundTrafficPolicyMode
from sidecar_model.validation._ports import MAX_PORT

if TYPE_CHECKING:
    from sidecar_model.model import OutboundTrafficPolicy
    from sidecar_model.validation._report import Report


def check_outbound_policy(policy: OutboundTrafficPolicy, report: Report) -> None:
    # V38 (numeric mode 3) cannot be loaded: the model's enum has only the two CRD names.
    proxy = policy.egress_proxy
    if proxy is None:
        return
    path = "spec.outboundTrafficPolicy.egressProxy"
    if policy.effective_mode is not OutboundTrafficPolicyMode.ALLOW_ANY:
        mode = "is not set, so REGISTRY_ONLY" if policy.mode is None else f"is {policy.mode.value}"
        report.error(
            "V39",
            path,
            f"egressProxy is only used with mode ALLOW_ANY, and mode {mode}; set "
            "mode: ALLOW_ANY or remove egressProxy",
        )
        return
    for message in hosts.check_fqdn(proxy.host):
        report.error("V39", f"{path}.host", f"egressProxy host: {message}")
    if proxy.port is None:
        report.error("V39", path, "egressProxy needs a port: set port.number")
        return
    # validateDestination: its host checks ('*', wildcard domain) can only fail where the
    # FQDN check above already did, so they are not reported twice.
    if proxy.subset and not hosts.is_dns1123_label(proxy.subset):
        report.error(
            "V39",
            f"{path}.subset",
            f"subset name {quoted(proxy.subset)} is invalid: a subset name is a DNS-1123 label",
        )
    number = proxy.port.number or 0
    if not 1 <= number <= MAX_PORT:
        where = f"{path}.port.number" if proxy.port.number is not None else f"{path}.port"
        report.error("V39", where, f"port number {number} must be in the range 1..65535")
