"""What an edit's energies read on a trajectory the sampler did not take: e.g. on the inverted ground truth.

The recorded energies of an edit compare, at each guided step i, the edited latent's features with the original's
inverted latent at the *same* noise level. As i grows the comparison moves to a lower noise level, where the
features carry more of the image and less of the shared noise, so an energy can rise while every guided step
lowers it. :func:`energies_along` separates the two: it evaluates the edit's own energy terms, without any
guidance, along another inverted image's trajectory, such as the ground-truth result of the edit. If even the
right answer's energy rises from step to step, the rise belongs to the noise schedule, not to the guidance.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .energy import EnergySeries


def energies_along(editor: Any, source: Any, edit: Any, other: Any, params: Any = None) -> EnergySeries:
    """The energy terms of ``edit`` on ``source`` (w·E, as a recorded trace holds them) at every guided step i,
    with the edited branch replaced by ``other``'s inverted latent at step i (``other``: a ``dw.Source`` of the
    same size and model, e.g. the ground-truth result inverted with the same prompt). No guidance, no sampling:
    one UNet pass per step and source. ``params`` are the mode's parameters for this call, as in ``editor.edit``.

    Returns an :class:`EnergySeries` (round 0 only) that ``plot_energies(trace, compare={...})`` draws next to
    the edit's own curves.
    """
    import torch

    from ..engine.edits.base import EditContext
    from ..engine.editor import Source
    from ..engine.features import to_guidance_grid
    from ..engine.sampler import schedule_is_guided

    for name, s in (("source", source), ("other", other)):
        if not isinstance(s, Source) or s.bank is None:
            raise TypeError(f"{name} must be a dw.Source with its memory bank (from editor.invert), got "
                            f"{type(s).__name__}")
    if tuple(other.work_size) != tuple(source.work_size):
        raise ValueError(f"other's working size {other.work_size} differs from source's {source.work_size}; "
                         f"invert an image of the source's size")
    settings = editor.settings(None, edit.mode, params)
    preset = settings.preset
    if other.bank.num_steps != preset.num_steps or source.bank.num_steps != preset.num_steps:
        raise ValueError(f"source and other must be inverted with the preset's {preset.num_steps} steps")
    mode_params = preset.mode(edit.mode)
    edit = copy.copy(edit).validate(source.size)
    editor._start()
    try:
        z_T = source.bank.z_T.to(editor.device, editor.dtype)
        latent = (z_T.shape[-1], z_T.shape[-2])
        grid = (latent[0] * preset.feature_upscale, latent[1] * preset.feature_upscale)
        ctx = EditContext(input_size=source.size, size=source.work_size, latent=latent, grid=grid,
                          params=mode_params, z_T=z_T, drag_window=preset.drag_window, device=editor.device,
                          invert=lambda img, prompt: editor._invert(img, prompt, settings))
        plan = edit.plan(ctx)
        banks = {"base": source.bank, **{k: s.bank for k, s in plan.references.items()}}
        model = editor._model(settings=settings)
        cond = editor.embed(source.prompt, source.work_size)

        def features(z: Any, t: int) -> list:
            with torch.no_grad():
                native = model.features(z.to(editor.device, editor.dtype), t, cond)
            return [to_guidance_grid(f, grid)[0] for f in native]

        terms = [t.name for t in plan.terms]
        steps = [i for i in range(len(model.timesteps)) if schedule_is_guided(preset, i)]
        values = np.full((len(terms), len(steps)), np.nan)
        with torch.no_grad():
            for c, i in enumerate(steps):
                t = model.timesteps[i]
                refs = {name: features(bank.guidance_latent(i), t) for name, bank in banks.items()}
                cur = features(other.bank.guidance_latent(i), t)
                for r, term in enumerate(plan.terms):
                    values[r, c] = float(term.energy(cur, refs, preset.attract_beta))
    finally:
        editor._finish()
    return EnergySeries(terms=terms, values=values, index=np.asarray(steps, dtype=int),
                        timestep=np.asarray([model.timesteps[i] for i in steps], dtype=int),
                        round=np.zeros(len(steps), dtype=int), guided=np.ones(len(steps), dtype=bool))
