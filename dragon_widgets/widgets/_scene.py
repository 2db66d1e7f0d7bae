"""The built-in scene that ``EditorApp()`` opens: ShapesBench images the embedded model knows."""

from __future__ import annotations

import numpy as np

SCENE_SEED = 3
REFERENCE_SEED = 11


def _scene(seed: int, res: int):
    from dragon_widgets.core import scenes

    scene = scenes.sample_scene(np.random.default_rng(seed), n_shapes=2)
    img, _masks = scenes.render(scene, res)
    return scenes.to_uint8(img), scene


def builtin_scene(res: int = 64) -> tuple[np.ndarray, str]:
    """(uint8 image (res, res, 3), caption) of the fixed demo scene."""
    from dragon_widgets.core import scenes

    img, scene = _scene(SCENE_SEED, res)
    return img, scenes.caption(scene)


def builtin_reference(res: int = 64) -> tuple[np.ndarray, str]:
    """A second fixed scene, the default reference image for appearance and paste."""
    from dragon_widgets.core import scenes

    img, scene = _scene(REFERENCE_SEED, res)
    return img, scenes.caption(scene)


def builtin_shape_masks(res: int = 64, reference: bool = False) -> list[np.ndarray]:
    """Visible masks (bool) of the shapes of the demo scene (tutorials draw with them)."""
    from dragon_widgets.core import scenes

    scene = scenes.sample_scene(np.random.default_rng(REFERENCE_SEED if reference else SCENE_SEED), n_shapes=2)
    _img, masks = scenes.render(scene, res)
    return [m > 0.5 for m in masks]
