"""The public surface is exactly what ``__all__`` says."""

from __future__ import annotations

import types

import sidecar_model


def test_all_matches_exported_names() -> None:
    # Submodules show up as attributes once imported; only the resolver is exported.
    exported = {
        name
        for name, value in vars(sidecar_model).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(sidecar_model.__all__) == exported | {"resolver"}
    assert isinstance(sidecar_model.resolver, types.ModuleType)
    assert sidecar_model.__all__ == sorted(sidecar_model.__all__)


def test_contract_names_are_present() -> None:
    contract = {
        "Sidecar", "WorkloadSelector", "IstioIngressListener", "IstioEgressListener", "Port",
        "SidecarPort", "CaptureMode", "OutboundTrafficPolicy", "Destination",
        "ConnectionPoolSettings", "ServerTLSSettings", "Protocol", "Resource", "ObjectMeta",
        "loads", "load", "dumps", "dump", "structure", "unstructure", "converter",
        "SidecarModelError", "ManifestError", "validate", "ValidationResult", "Diagnostic",
        "Severity", "Mesh", "MeshConfig", "MeshService", "ServicePort", "Registry",
        "Workload", "ProxyType", "resolver", "analyze", "diff",
    }  # fmt: skip
    assert contract <= set(sidecar_model.__all__)
