"""Compatibility alias: this module moved to :mod:`dragon_widgets.core.geometry` (the torch-free core)."""

import sys

from ..core import geometry as _moved

sys.modules[__name__] = _moved
