"""Fixtures: a randomly initialised tiny pipeline with Stable Diffusion's classes and block layout,
saved to disk and loaded back through dw.load_pipeline (the real SD loading path), and a short preset."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dragon_widgets as dw


def build_tiny_sd(seed: int = 0):
    from dragon_widgets.models.random_sd import random_sd_pipeline

    return random_sd_pipeline("tiny", seed)


@pytest.fixture(scope="session")
def tiny_sd_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny_sd")
    build_tiny_sd().save_pretrained(str(d), safe_serialization=True)
    return d


@pytest.fixture(scope="session")
def tiny_sd(tiny_sd_dir):
    return dw.load_pipeline(str(tiny_sd_dir))


def short(preset):
    """The same method on 10 steps (windows scaled down) so end-to-end tests stay fast."""
    return preset.replace(name=preset.name + "-short", num_steps=10, guided_until=6, dense_until=2,
                          time_travel_steps=(4,), time_travel_rounds=2, sde_window=(1, 5), ip_window=(2, 4))


@pytest.fixture(scope="session")
def shorten():
    """:func:`short`, for tests that shorten a preset they choose themselves."""
    return short


@pytest.fixture(scope="session")
def sd_preset():
    return short(dw.get_preset("sd15")).replace(resolution=128)


@pytest.fixture(scope="session")
def embedded_preset():
    """The embedded preset on 10 steps (see :func:`short`)."""
    return short(dw.get_preset("embedded"))


@pytest.fixture(scope="session")
def tiny_editor(tiny_sd, sd_preset):
    return dw.DragonEditor(tiny_sd, preset=sd_preset)


@pytest.fixture(scope="session")
def scene_image():
    """A non-square scene (200×100) with one object and its mask."""
    img = np.zeros((100, 200, 3), np.uint8)
    img[..., 0] = np.linspace(40, 200, 200)[None].astype(np.uint8)
    img[..., 1] = 120
    img[..., 2] = np.linspace(200, 60, 100)[:, None].astype(np.uint8)
    mask = np.zeros((100, 200), bool)
    mask[30:60, 40:80] = True
    img[mask] = (250, 30, 30)
    return img, mask


@pytest.fixture(scope="session")
def mode_drawing(scene_image):
    """``make(desc)``: a :class:`Drawing` with everything any UI mode might need on the 200×100 test scene, its mask
    meaning what ``desc`` says a mask means (the object, or for Drag the region it may change, around every handle
    and target)."""
    from dragon_widgets.engine.ui_modes import Drawing

    img, m = scene_image
    points = [((60, 45), (90, 50)), ((150, 20), (140, 30))]
    region = np.zeros_like(m)
    region[10:60, 50:160] = True

    def make(desc) -> Drawing:
        mask = region if desc.mask_meaning == "editable" else m
        return Drawing(mask=mask, offset=(-30.0, 10.0), scale=1.25, region=None, points=points,
                       reference=img[:, ::-1].copy(), reference_mask=m[:, ::-1].copy())

    return make


@pytest.fixture(scope="session")
def tiny_source(tiny_editor, scene_image):
    return tiny_editor.invert(scene_image[0], prompt="a red square")


@pytest.fixture(scope="session")
def tiny_sdxl_dir(tmp_path_factory):
    """A random tiny SDXL pipeline (random_sd "sdxl-tiny") saved as a diffusers folder."""
    from dragon_widgets.models.random_sd import random_sd_pipeline

    d = tmp_path_factory.mktemp("tiny_sdxl")
    random_sd_pipeline("sdxl-tiny", 0).save_pretrained(str(d), safe_serialization=True)
    return d


@pytest.fixture(scope="session")
def tiny_sdxl(tiny_sdxl_dir):
    return dw.load_pipeline(str(tiny_sdxl_dir))


@pytest.fixture(scope="session")
def sdxl_editor(tiny_sdxl):
    return dw.DragonEditor(tiny_sdxl, preset=short(dw.get_preset("sdxl")).replace(resolution=128))


@pytest.fixture(scope="session")
def sdxl_source(sdxl_editor, scene_image):
    return sdxl_editor.invert(scene_image[0], prompt="a red square")


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    """A small random CLIP vision model saved where the official encoder sits (``models/image_encoder``)."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    enc = CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                                         num_attention_heads=2, image_size=32, patch_size=8,
                                                         projection_dim=16))
    d = tmp_path_factory.mktemp("clip")
    enc.save_pretrained(str(d / "models" / "image_encoder"))
    return d


@pytest.fixture(scope="module")
def checkpoint(tiny_sd, tmp_path_factory):
    """(path, state dict) of a random adapter in the official ``ip_sd15_64.bin`` layout for the tiny model."""
    from official_adapter import official_layout

    sd = official_layout(tiny_sd.unet, width=32)
    path = tmp_path_factory.mktemp("official") / "ip_sd15_64.bin"
    torch.save(sd, str(path))
    return path, sd


@pytest.fixture(scope="module")
def official_pipe(tiny_sd_dir, encoder_dir, checkpoint):
    """The tiny SD pipeline with that adapter loaded by ``dw.load_image_prompt`` (its own copy: other tests' pipes
    stay without an adapter)."""
    from dragon_widgets.engine.image_prompt import has_ip_adapter

    pipe = dw.load_pipeline(str(tiny_sd_dir))
    assert not has_ip_adapter(pipe)
    out = dw.load_image_prompt(pipe, checkpoint[0], image_encoder=str(encoder_dir))  # finds models/image_encoder
    assert out is pipe
    return pipe
