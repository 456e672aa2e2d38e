"""Example manifests shipped with the library, for the ``demo`` command and the docs."""

from __future__ import annotations

from importlib import resources

__all__ = ["MESH", "SEED", "mesh_text", "seed_text"]

#: The file name of the seed examples (four Sidecars and a ServiceEntry).
SEED = "seed.yaml"
#: The file name of a small mesh built around the seed examples, for the demo.
MESH = "mesh.yaml"


def seed_text() -> str:
    """The text of the bundled seed examples."""
    return resources.files(__name__).joinpath(SEED).read_text(encoding="utf-8")


def mesh_text() -> str:
    """The text of the bundled example mesh: Sidecars, services and workloads."""
    return resources.files(__name__).joinpath(MESH).read_text(encoding="utf-8")
