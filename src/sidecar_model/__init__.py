"""sidecar-model: Istio's ``Sidecar`` resource as typed values, loaded, validated and resolved.

The names below are the library's public API; see the documentation for a tour.
"""

from sidecar_model import resolver, traffic
from sidecar_model._hypothesis import register_if_hypothesis_is_loaded as _register_strategies
from sidecar_model.analysis import analyze, diff
from sidecar_model.codec import converter, dump, dumps, load, loads, structure, unstructure
from sidecar_model.errors import ManifestError, SidecarModelError, ValidationError
from sidecar_model.mesh import (
    Mesh,
    MeshConfig,
    MeshService,
    ProxyType,
    Registry,
    ServicePort,
    Workload,
)
from sidecar_model.model import (
    CaptureMode,
    ConnectionKeepalive,
    ConnectionPoolSettings,
    Destination,
    Duration,
    H2UpgradePolicy,
    HTTPSettings,
    IstioEgressListener,
    IstioIngressListener,
    OutboundTrafficPolicy,
    OutboundTrafficPolicyMode,
    Port,
    PortSelector,
    Protocol,
    ServerTLSSettings,
    Sidecar,
    SidecarPort,
    TcpKeepalive,
    TCPSettings,
    TLSCertificate,
    TLSMode,
    TLSProtocol,
    WorkloadSelector,
)
from sidecar_model.recommendation import Recommendation, recommend
from sidecar_model.resources import ObjectMeta, Resource
from sidecar_model.validation import Diagnostic, Severity, ValidationResult, validate

# st.from_type(Sidecar) and friends, when Hypothesis was imported before the library.
_register_strategies()

__all__ = [
    "CaptureMode",
    "ConnectionKeepalive",
    "ConnectionPoolSettings",
    "Destination",
    "Diagnostic",
    "Duration",
    "H2UpgradePolicy",
    "HTTPSettings",
    "IstioEgressListener",
    "IstioIngressListener",
    "ManifestError",
    "Mesh",
    "MeshConfig",
    "MeshService",
    "ObjectMeta",
    "OutboundTrafficPolicy",
    "OutboundTrafficPolicyMode",
    "Port",
    "PortSelector",
    "Protocol",
    "ProxyType",
    "Recommendation",
    "Registry",
    "Resource",
    "ServerTLSSettings",
    "ServicePort",
    "Severity",
    "Sidecar",
    "SidecarModelError",
    "SidecarPort",
    "TCPSettings",
    "TLSCertificate",
    "TLSMode",
    "TLSProtocol",
    "TcpKeepalive",
    "ValidationError",
    "ValidationResult",
    "Workload",
    "WorkloadSelector",
    "analyze",
    "converter",
    "diff",
    "dump",
    "dumps",
    "load",
    "loads",
    "recommend",
    "resolver",
    "structure",
    "traffic",
    "unstructure",
    "validate",
]
