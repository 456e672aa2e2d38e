"""Example manifests shipped with the library, for the ``demo`` command and the docs."""

from __future__ import annotations

from importlib import resources

__all__ = ["SEED", "seed_text"]

#: The file name of the seed examples (four Sidecars and a ServiceEntry).
SEED = "seed.yaml"


def seed_text() -> str:
    """The text of the bundled seed examples."""
    return resources.files(__name__).joinpath(SEED).read_text(encoding="utf-8")
