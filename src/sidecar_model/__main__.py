"""``python -m sidecar_model``: the same as the ``sidecar-model`` command."""

import sys

from sidecar_model.cli import main

sys.exit(main())
