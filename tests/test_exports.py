"""The public surface is exactly what ``__all__`` says."""

from __future__ import annotations

import types

import pytest

import sidecar_model
from sidecar_model import analysis, hosts, mesh, mesh_cache, recommendation, resolver, traffic


def test_all_matches_exported_names() -> None:
    # Submodules show up as attributes once imported; only the resolver and traffic are exported.
    exported = {
        name
        for name, value in vars(sidecar_model).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(sidecar_model.__all__) == exported | {"resolver", "traffic"}
    assert isinstance(sidecar_model.resolver, types.ModuleType)
    assert isinstance(sidecar_model.traffic, types.ModuleType)
    assert sidecar_model.__all__ == sorted(sidecar_model.__all__)


def test_contract_names_are_present() -> None:
    contract = {
        "Sidecar", "WorkloadSelector", "IstioIngressListener", "IstioEgressListener", "Port",
        "SidecarPort", "CaptureMode", "OutboundTrafficPolicy", "Destination",
        "ConnectionPoolSettings", "ServerTLSSettings", "Protocol", "Resource", "ObjectMeta",
        "loads", "load", "dumps", "dump", "structure", "unstructure", "converter",
        "SidecarModelError", "ManifestError", "validate", "ValidationResult", "Diagnostic",
        "Severity", "Mesh", "MeshConfig", "MeshService", "ServicePort", "Registry",
        "Workload", "ProxyType", "resolver", "analyze", "diff", "recommend", "traffic",
    }  # fmt: skip
    assert contract <= set(sidecar_model.__all__)
    assert {"config_size", "ConfigSize"} <= set(resolver.__all__)
    assert "Traffic" in traffic.__all__


def test_recommend_is_the_function_and_its_values_have_a_public_module() -> None:
    # The function, not a package of that name, is sidecar_model.recommend.
    assert callable(sidecar_model.recommend)
    assert sidecar_model.recommend is recommendation.recommend
    assert sidecar_model.Recommendation is recommendation.Recommendation


@pytest.mark.parametrize(
    "module", [resolver, mesh, analysis, traffic, recommendation], ids=lambda m: m.__name__
)
def test_public_packages_export_exactly_their_all(module: types.ModuleType) -> None:
    # A thin re-export layer over private modules: dir() shows what users should use.
    exported = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"  # from __future__
    }
    assert exported == set(module.__all__)
    assert module.__all__ == sorted(module.__all__)


@pytest.mark.parametrize("module", [hosts, mesh_cache], ids=lambda m: m.__name__)
def test_public_modules_list_every_public_definition(module: types.ModuleType) -> None:
    defined = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and callable(value)
        and getattr(value, "__module__", None) == module.__name__
    }
    assert defined <= set(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)
    assert module.__all__ == sorted(module.__all__)


def test_internals_are_not_public() -> None:
    internal = {"HostIndex", "dot_suffixes", "is_ip", "resolve_short_name"}
    assert not internal & set(mesh.__all__)
    assert not {"more_specific", "most_specific_match"} & set(hosts.__all__)
