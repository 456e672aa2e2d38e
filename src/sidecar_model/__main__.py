"""``python -m sidecar_model``: the same as the ``sidecar-model`` command."""

from sidecar_model._cli_runtime import console

console()
