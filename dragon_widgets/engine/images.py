"""Compatibility alias: this module moved to :mod:`dragon_widgets.core.images` (the torch-free core)."""

import sys

from ..core import images as _moved

sys.modules[__name__] = _moved
