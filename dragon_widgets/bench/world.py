"""Compatibility alias: this module moved to :mod:`dragon_widgets.core.world` (the torch-free core)."""

import sys

from ..core import world as _moved

sys.modules[__name__] = _moved
