"""Compatibility alias: this module moved to :mod:`dragon_widgets.core.scenes` (the torch-free core)."""

import sys

from ..core import scenes as _moved

sys.modules[__name__] = _moved
