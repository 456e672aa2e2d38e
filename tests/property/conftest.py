"""Example budgets: small in the default run, large in ``nox -s property``."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default-run",
    max_examples=int(os.environ.get("SIDECAR_MODEL_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("default-run")
