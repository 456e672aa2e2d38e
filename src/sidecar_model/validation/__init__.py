"""Validating a Sidecar as Istio's admission webhook does.

:func:`validate` runs every Sidecar rule, V1 to V41, in Istio's order and with its early
returns, and sorts what it finds into errors (the API server would reject the object) and
warnings (it would accept it and print the warning). Each finding is a :class:`Diagnostic`
with a stable code (the rule number, such as ``V23``), the YAML path of the field in wire
names, a message that names the value and says what is allowed, and, for a resource loaded
from text, the file, line and column.

Some rules are enforced earlier, by loading (:func:`sidecar_model.loads` raises
:class:`~sidecar_model.ManifestError`): null list entries (V10, V19), a missing ingress port
(V11), the numeric outbound mode 3 (V38), and the CRD schema's required fields, enum names
and integer ranges (V41). :data:`RULES` says for every rule where it is enforced; the rule
reference of the documentation is rendered from it.

The API server checks the CRD schema before it calls the webhook. Schema findings that
loading cannot make (V41: selector label values, TLS CEL rules, list sizes, and durations
below 1 ms where the webhook stopped early) come first in :attr:`ValidationResult.errors`.

:func:`check_export_to` applies the ``exportTo`` list rules X1 to X5 that VirtualService,
DestinationRule and ServiceEntry validation share.
"""

from sidecar_model.validation._export_to import check_export_to
from sidecar_model.validation._registry import RULES
from sidecar_model.validation._rule import Enforcement, Rule
from sidecar_model.validation._validate import validate
from sidecar_model.validation.diagnostics import Diagnostic, Severity, ValidationResult

__all__ = [
    "RULES",
    "Diagnostic",
    "Enforcement",
    "Rule",
    "Severity",
    "ValidationResult",
    "check_export_to",
    "validate",
]
