"""The training world of the third embedded model: both earlier worlds, empty backgrounds, objects cut by the frame.

A model that edits must find "only background here" a likely picture and must have seen every scene it is asked
to edit. :func:`sample_mixed_scene` draws

* an **empty background** (no object) with probability :data:`MIXED["empty"]`, from either world's backgrounds,
  so that a region an edit vacates or leaves alone has a prior that keeps it empty;
* otherwise a scene of the first model's world (:func:`~.scenes.sample_scene`: 8 named hues, 16–32 % sizes,
  tinted gradients, soft stripes) with probability :data:`MIXED["v1"]`, or of the broad world
  (:func:`~.world.sample_world_scene` ``"train"``: any hue outside the held-out bands, pale and dark shapes,
  noise textures, overlaps, rotations);
* and in a share :data:`MIXED["off_frame"]` of the scenes with objects, one object pushed so that part of it
  (:data:`OFF_FRAME_CUT` of its diameter) lies outside the picture, as in a crop of a larger scene.

The shifted world's held-out ranges stay held out: neither source ever draws them.
"""

from __future__ import annotations

import numpy as np

from .scenes import Scene, sample_background, sample_scene
from .world import sample_world_background, sample_world_scene

#: Shares of the mixture (see the module docstring).
MIXED: dict[str, float] = {"empty": 0.15, "v1": 0.45, "off_frame": 0.2}
#: How much of an off-frame object's diameter lies outside the picture (uniform in this range).
OFF_FRAME_CUT = (0.2, 0.6)


def _push_off_frame(scene: Scene, rng: np.random.Generator) -> Scene:
    """``scene`` with one object moved towards a random side until part of it leaves the frame."""
    k = int(rng.integers(len(scene.shapes)))
    s = scene.shapes[k]
    cut = float(rng.uniform(*OFF_FRAME_CUT)) * s.size
    side = int(rng.integers(4))  # 0 left, 1 right, 2 top, 3 bottom
    edge = s.radius - cut  # the centre's distance from the border it crosses (negative: centre outside)
    cx, cy = s.cx, s.cy
    if side == 0:
        cx = edge
    elif side == 1:
        cx = 1 - edge
    elif side == 2:
        cy = edge
    else:
        cy = 1 - edge
    shapes = list(scene.shapes)
    shapes[k] = s.moved(cx - s.cx, cy - s.cy)
    # the moved object goes last, so that if it now covers another one the covered one is behind it
    shapes.append(shapes.pop(k))
    return Scene(scene.background, shapes)


def sample_mixed_scene(rng: np.random.Generator, shares: dict[str, float] | None = None) -> Scene:
    """One scene of the mixed training world (module docstring); ``shares`` overrides :data:`MIXED`."""
    p = dict(MIXED, **(shares or {}))
    unknown = set(p) - set(MIXED)
    if unknown:
        raise ValueError(f"shares: unknown keys {sorted(unknown)}; expected some of {sorted(MIXED)}")
    v1 = rng.random() < p["v1"]
    if rng.random() < p["empty"]:
        bg = sample_background(rng) if v1 else sample_world_background(rng, "train")
        return Scene(bg, [])
    scene = sample_scene(rng) if v1 else sample_world_scene(rng, "train")
    if scene.shapes and rng.random() < p["off_frame"]:
        scene = _push_off_frame(scene, rng)
    return scene

