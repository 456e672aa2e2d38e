"""The public surface is exactly what ``__all__`` says."""

from __future__ import annotations

import sidecar_model


def test_all_matches_exported_names() -> None:
    exported = {
        name
        for name, value in vars(sidecar_model).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("sidecar_model")
    }
    modules = {"codec", "errors", "model", "resources", "examples", "cli"}
    assert set(sidecar_model.__all__) == (exported - modules) | {"converter"}
    assert sidecar_model.__all__ == sorted(sidecar_model.__all__)


def test_contract_names_are_present() -> None:
    contract = {
        "Sidecar", "WorkloadSelector", "IstioIngressListener", "IstioEgressListener", "Port",
        "SidecarPort", "CaptureMode", "OutboundTrafficPolicy", "Destination",
        "ConnectionPoolSettings", "ServerTLSSettings", "Protocol", "Resource", "ObjectMeta",
        "loads", "load", "dumps", "dump", "structure", "unstructure", "converter",
        "SidecarModelError", "ManifestError",
    }  # fmt: skip
    assert contract <= set(sidecar_model.__all__)
