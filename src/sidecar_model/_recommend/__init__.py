"""How a recommendation is made; the public names are in :mod:`sidecar_model.recommendation`.

``_callers`` finds who made an observed call and which service it called, ``_plan`` turns
the calls into Sidecars and proves them by re-resolving, ``_result`` holds the result values.
"""
