"""SDXL end to end on a random tiny StableDiffusionXLPipeline (random_sd "sdxl-tiny", loaded from a saved folder):
every UI mode inverts and edits, with the right shapes and finite output; generation and reconstruction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.ui_modes import UI_MODES


def test_sdxl_inversion_records_the_bank_on_the_chosen_layers(sdxl_editor, sdxl_source):
    bank = sdxl_source.bank
    assert sdxl_source.work_size == (192, 96) and bank.num_steps == 10 and len(bank.latents) == 11
    assert bank.layers == sdxl_editor.bank_layers and len(bank.layers) == 4
    assert {bank.token_grids[n] for n in bank.layers} == {(3, 6), (6, 12)}  # ¼ and ½ of the 12×24 latent
    assert all(torch.isfinite(z).all() for z in bank.latents)


@pytest.mark.parametrize("name", [d.name for d in UI_MODES])
def test_every_ui_mode_edits_on_tiny_sdxl(name, sdxl_editor, sdxl_source, mode_drawing):
    desc = next(d for d in UI_MODES if d.name == name)
    res = sdxl_editor.edit(sdxl_source, desc.build(mode_drawing(desc)), seed=0, record=("features",))
    out = np.asarray(res.image)
    assert res.image.size == (200, 100) and res.work_image.shape == (96, 192, 3) and out.std() > 0
    assert res.edit.mode == desc.preset_mode and res.preset.name == "sdxl-short"
    guided = [s for s in res.trace.steps if s.features]
    assert guided and {k: v["current"].shape[1:] for k, v in guided[0].features.items()} == \
        {"up_blocks.0": (6, 12), "up_blocks.1": (12, 24)}
    assert all(np.isfinite(v["current"]).all() for s in guided for v in s.features.values())


def test_sdxl_generate_and_reconstruct(sdxl_editor, sdxl_source):
    src = sdxl_editor.generate("a red square", seed=1, size=(128, 64))  # size: the aspect, area ≈ resolution²
    assert src.work_image.shape == (96, 192, 3) and src.bank.num_steps == 10 and src.work_image.std() > 0
    rec = sdxl_editor.reconstruct(sdxl_source)
    assert rec.shape == (96, 192, 3) and rec.dtype == np.uint8


def test_sdxl_edit_logs_replay(sdxl_editor, sdxl_source, scene_image, tmp_path):
    img, m = scene_image
    res = sdxl_editor.edit(sdxl_source, dw.Move(mask=m, offset=(30, 5)), seed=2)
    again = dw.replay(res.save(tmp_path / "log"), editor=sdxl_editor)
    assert np.array_equal(again.work_image, res.work_image)
