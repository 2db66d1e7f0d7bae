"""Model families: the seam between the engine and one kind of diffusers pipeline (see :mod:`.base`)."""

from .base import ModelFamily
from .registry import FAMILIES, family_names, family_of, get_family

__all__ = ["FAMILIES", "ModelFamily", "family_names", "family_of", "get_family"]
