"""The export set of a Kubernetes Service: its ``networking.istio.io/exportTo`` annotation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sidecar_model.resources import EXPORT_TO_ANNOTATION

if TYPE_CHECKING:
    from collections.abc import Mapping


def annotation_export_set(annotations: Mapping[str, str]) -> frozenset[str] | None:
    """The declared export set, or None when the annotation is absent or exactly empty.

    §4.2.1: istiod splits any other value at commas and trims each item, keeping empty
    items and checking nothing. A value made only of blanks and commas thus declares the
    set ``{""}``: it replaces the mesh default, and as no namespace is named ``""`` the
    service is visible nowhere.
    """
    value = annotations.get(EXPORT_TO_ANNOTATION, "")
    if value == "":
        return None
    return frozenset(item.strip() for item in value.split(","))
