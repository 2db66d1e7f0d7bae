"""CLIP image–image similarity (optional in the evaluator): the cosine of two images' CLIP image embeddings.

The model is a ``transformers`` ``CLIPModel`` (default ``openai/clip-vit-base-patch32``, the ViT-B/32 the DragBench
evaluation uses), loaded with ``from_pretrained`` from a hub id or a local folder. Images are prepared as CLIP
prepares them: shortest side resized (bicubic) to the model's size, centre-cropped, scaled to [0, 1] and
normalised with the mean and std of the model's ``preprocessor_config.json`` (CLIP's published values when it has
none).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MODEL = "openai/clip-vit-base-patch32"
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


class ClipSimilarity:
    """``ClipSimilarity(model)(a, b)`` → cosine similarity of two uint8 (H, W, 3) images' CLIP embeddings."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu") -> None:
        from transformers import CLIPModel

        from .._quiet import quiet_loaders

        try:
            with quiet_loaders():
                self.model = CLIPModel.from_pretrained(model).to(device).eval()
        except Exception as err:  # offline, or not a CLIP model
            raise ValueError(f"cannot load the CLIP model {model!r} ({type(err).__name__}: {str(err)[:200]}); "
                             f"download it where you have internet (huggingface-cli download {model} --local-dir "
                             f"clip) and pass --clip-model clip/") from None
        self.device = device
        side = int(self.model.config.vision_config.image_size)
        self.side, self.crop, self.mean, self.std = side, side, CLIP_MEAN, CLIP_STD
        cfg = Path(model) / "preprocessor_config.json"
        if cfg.is_file():
            try:
                d = json.loads(cfg.read_text())
                size = d.get("size", {})
                self.side = int(size.get("shortest_edge", side)) if isinstance(size, dict) else int(size)
                crop = d.get("crop_size", {})
                self.crop = int(crop.get("height", side)) if isinstance(crop, dict) else int(crop)
                self.mean = tuple(d.get("image_mean", CLIP_MEAN))
                self.std = tuple(d.get("image_std", CLIP_STD))
            except (ValueError, TypeError, AttributeError):
                pass  # CLIP's published values

    def pixels(self, image: np.ndarray) -> Any:
        """uint8 (H, W, 3) → (1, 3, crop, crop) normalised pixel values."""
        import torch
        from PIL import Image

        im = Image.fromarray(np.ascontiguousarray(image)).convert("RGB")
        k = self.side / min(im.size)
        im = im.resize((max(self.crop, round(im.width * k)), max(self.crop, round(im.height * k))), Image.BICUBIC)
        left, top = (im.width - self.crop) // 2, (im.height - self.crop) // 2
        im = im.crop((left, top, left + self.crop, top + self.crop))
        x = torch.from_numpy(np.asarray(im, np.float32) / 255.0).permute(2, 0, 1)
        x = (x - torch.tensor(self.mean).view(3, 1, 1)) / torch.tensor(self.std).view(3, 1, 1)
        return x[None].to(self.device)

    def embed(self, image: np.ndarray) -> Any:
        import torch

        with torch.no_grad():
            out = self.model.get_image_features(pixel_values=self.pixels(image))
        emb = out if isinstance(out, torch.Tensor) else out.pooler_output
        return torch.nn.functional.normalize(emb.float(), dim=-1)[0]

    def __call__(self, a: np.ndarray, b: np.ndarray) -> float:
        return float((self.embed(a) * self.embed(b)).sum())
