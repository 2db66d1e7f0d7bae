"""A small, fully known trace built from the engine's own record classes (``dw.EditTrace``/``dw.StepRecord``).

Its values are chosen so every test can compute the expected answer: features of the edited branch are
the reference features rolled by (1 row, 2 columns); gradients are zero outside their regions.
"""

from __future__ import annotations

import numpy as np

from dragon_widgets import EditTrace as Trace
from dragon_widgets import StepRecord as Step

SIZE = (64, 64)
LATENT = (32, 32)
TERMS = ["edit", "content", "contrast", "inpaint"]
LAYERS = ["up_blocks.1", "up_blocks.2"]
BANK_LAYER = "up_blocks.1.attentions.0.transformer_blocks.0.attn1"


def edit_mask() -> np.ndarray:
    m = np.zeros((SIZE[1], SIZE[0]), bool)
    m[16:40, 20:48] = True
    return m


def make_trace(n_steps: int = 8, seed: int = 0) -> Trace:
    """Steps 0..n-1 (even ones guided), one time-travel block of two rounds after step 4."""
    rng = np.random.default_rng(seed)
    mask = edit_mask()
    lat_mask = mask.reshape(32, 2, 32, 2).any(axis=(1, 3))
    original = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
    base = {"up_blocks.1": rng.standard_normal((16, 16, 16)), "up_blocks.2": rng.standard_normal((8, 32, 32))}
    schedule = [(i, 0) for i in range(n_steps)]
    schedule[5:5] = [(4, 1), (4, 2)]
    steps = []
    for k, (i, r) in enumerate(schedule):
        guided = i % 2 == 0
        s = Step(index=i, timestep=981 - 20 * i, round=r, guided=guided,
                 x0=(rng.random((64, 64, 3)) * 255).astype(np.uint8) if k % 2 == 0 else None)
        if guided:
            for n, term in enumerate(TERMS):
                s.energies[term] = float(1.0 / (1 + k) + n)
                region = lat_mask if term == "edit" else ~lat_mask
                g = rng.standard_normal((12, 32, 32)).astype(np.float32) * region
                s.grad_latents[term] = g
                s.grads[term] = np.abs(g).mean(axis=0).astype(np.float32)
            s.features = {
                name: {"reference": f.astype(np.float16),
                       "current": np.roll(f, shift=(1, 2), axis=(1, 2)).astype(np.float16)}
                for name, f in base.items()}
            q = rng.standard_normal((256, 16)).astype(np.float16)
            kk = rng.standard_normal((512, 16)).astype(np.float16)
            s.attention = {BANK_LAYER: {"q": q, "k": kk, "heads": 2, "grid": (16, 16)}}
        steps.append(s)
    return Trace(size=SIZE, latent_size=LATENT, layers=list(LAYERS), bank_layers=[BANK_LAYER],
                 masks={"edit": mask, "content": ~mask}, points=[((24, 28), (40, 28))], terms=list(TERMS),
                 mode="move", record=frozenset({"energies", "gradients", "previews", "features", "attention"}),
                 regions={"edit": "edit", "content": "rest", "contrast": "rest", "inpaint": "rest"},
                 steps=steps, original=original, result=(rng.random((64, 64, 3)) * 255).astype(np.uint8))


def with_applied(trace: Trace, per_term: bool = False) -> Trace:
    """``trace`` as recorded with "applied": each guided step also keeps the update, the sum of its terms' signed
    maps, under "applied"; without ``per_term`` only that (the editor app's default trace)."""
    import dataclasses

    steps = []
    for s in trace.steps:
        grads, lat = (dict(s.grads), dict(s.grad_latents)) if per_term else ({}, {})
        if s.grad_latents:
            total = sum(s.grad_latents.values())
            lat["applied"] = total
            grads["applied"] = np.abs(total).mean(axis=0).astype(np.float32)
        steps.append(dataclasses.replace(s, grads=grads, grad_latents=lat))
    record = trace.record | {"applied"} if per_term else trace.record - {"gradients"} | {"applied"}
    return dataclasses.replace(trace, steps=steps, record=frozenset(record))
