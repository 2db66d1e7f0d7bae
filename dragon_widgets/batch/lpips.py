"""LPIPS (Zhang et al. 2018) with the AlexNet backbone, in plain torch (no torchvision), for Image Fidelity.

The network is the published one: torchvision's AlexNet ``features`` (five convolutions, their ReLU outputs
relu1–relu5 taken as the five feature layers), the input scaled from [-1, 1] by LPIPS's fixed shift and scale,
each layer's features unit-normalised over channels, squared differences weighted per channel by LPIPS's learned
1×1 "linear" layers (v0.1), averaged over the image and summed over the layers.

Two weight files, which cannot be downloaded by this package (download them once and put them in one folder):

* ``alexnet-owt-7be5be79.pth``: torchvision's ImageNet AlexNet weights,
  https://download.pytorch.org/models/alexnet-owt-7be5be79.pth (torchvision caches it under
  ``~/.cache/torch/hub/checkpoints/``, which is searched too);
* ``alex.pth``: LPIPS v0.1's linear layers for AlexNet, the file ``lpips/weights/v0.1/alex.pth`` of the LPIPS
  repository (github.com/richzhang/PerceptualSimilarity) and of the ``lpips`` package on PyPI (an installed
  ``lpips`` package is searched too).

:func:`find_weights` looks in, in order: the folder given, ``$DRAGON_WIDGETS_LPIPS``,
``~/.cache/dragon_widgets/lpips/``, torch's hub checkpoint folder (AlexNet) and an installed ``lpips`` package
(``alex.pth``). A missing file is a :class:`LPIPSWeightsMissing` saying which file and where to get it. Both are
read with ``torch.load(weights_only=True)`` (no code runs).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
LINEAR_FILE = "alex.pth"
ALEXNET_URL = "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"
LINEAR_SOURCE = ("lpips/weights/v0.1/alex.pth from github.com/richzhang/PerceptualSimilarity (also inside the "
                 "'lpips' package on PyPI)")
ENV_VAR = "DRAGON_WIDGETS_LPIPS"
#: LPIPS's input normalisation (applied to images in [-1, 1]).
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
#: Channels of AlexNet's relu1 … relu5.
CHANNELS = (64, 192, 384, 256, 256)
#: LPIPS's side: images are resized to this before the network (as the DragBench evaluation does).
SIDE = 224


class LPIPSWeightsMissing(FileNotFoundError):
    """A weight file of LPIPS (AlexNet backbone or linear layers) is not on this machine."""


class AlexNetFeatures(nn.Module):
    """torchvision's ``alexnet().features`` (same module indices, so its state dict loads as is); ``forward``
    returns the five ReLU outputs LPIPS compares."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(inplace=False), nn.MaxPool2d(3, 2),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(inplace=False), nn.MaxPool2d(3, 2),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=False),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=False),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=False), nn.MaxPool2d(3, 2),
        )

    #: the index of each ReLU whose output is a feature layer
    TAPS = (1, 4, 7, 9, 11)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.TAPS:
                out.append(x)
                if i == self.TAPS[-1]:
                    break
        return out


class LPIPS(nn.Module):
    """LPIPS distance of two image batches in [-1, 1], (N, 3, H, W) → (N,)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = AlexNetFeatures()
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in CHANNELS)
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1))
        self.eval().requires_grad_(False)

    def load_weights(self, alexnet: dict, linear: dict) -> "LPIPS":
        """Load torchvision's AlexNet state dict (``features.*``; ``classifier.*`` is ignored) and LPIPS's linear
        layers (``lin0.model.1.weight`` … ``lin4.model.1.weight``); a missing key or a wrong shape is a
        ``ValueError``."""
        feats = {k: v for k, v in alexnet.items() if k.startswith("features.")}
        own = self.net.state_dict()
        missing = sorted(set(own) - set(feats))
        if missing:
            raise ValueError(f"{ALEXNET_FILE}: not torchvision's AlexNet weights (missing {missing[:3]})")
        for k, v in feats.items():
            if k in own and tuple(v.shape) != tuple(own[k].shape):
                raise ValueError(f"{ALEXNET_FILE}: {k} has shape {tuple(v.shape)}, expected {tuple(own[k].shape)}")
        self.net.load_state_dict({k: feats[k] for k in own})
        for i, lin in enumerate(self.lins):
            key = f"lin{i}.model.1.weight"
            if key not in linear:
                raise ValueError(f"{LINEAR_FILE}: not LPIPS's AlexNet linear layers (missing {key})")
            if tuple(linear[key].shape) != tuple(lin.weight.shape):
                raise ValueError(f"{LINEAR_FILE}: {key} has shape {tuple(linear[key].shape)}, expected "
                                 f"{tuple(lin.weight.shape)}")
            lin.weight.data.copy_(linear[key])
        return self

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        fa = self.net((a - self.shift) / self.scale)
        fb = self.net((b - self.shift) / self.scale)
        total = 0.0
        for lin, x, y in zip(self.lins, fa, fb):
            x = x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            y = y / (y.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)
            total = total + lin((x - y) ** 2).mean(dim=(2, 3), keepdim=True)
        return total.view(-1)


def _candidates(name: str, folder: str | os.PathLike | None) -> list[Path]:
    dirs = [Path(folder).expanduser()] if folder else []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]).expanduser())
    dirs.append(Path.home() / ".cache" / "dragon_widgets" / "lpips")
    if name == ALEXNET_FILE:
        torch_home = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")).expanduser()
        dirs.append(torch_home / "hub" / "checkpoints")
    else:
        spec = importlib.util.find_spec("lpips")  # located, never imported (it imports torchvision)
        if spec is not None and spec.submodule_search_locations:
            dirs += [Path(p) / "weights" / "v0.1" for p in spec.submodule_search_locations]
    return [d / name for d in dirs]


def find_weights(folder: str | os.PathLike | None = None) -> tuple[Path, Path]:
    """The paths of (AlexNet weights, LPIPS linear weights); :class:`LPIPSWeightsMissing` names the missing file,
    where it was looked for and where to download it."""
    found = []
    for name, source in ((ALEXNET_FILE, ALEXNET_URL), (LINEAR_FILE, LINEAR_SOURCE)):
        paths = _candidates(name, folder)
        hit = next((p for p in paths if p.is_file()), None)
        if hit is None:
            raise LPIPSWeightsMissing(f"LPIPS weights missing: {name} was not found (looked in "
                                      f"{', '.join(str(p.parent) for p in paths)}). Download {source} and put it in "
                                      f"a folder given by --lpips-weights (or ${ENV_VAR}, or "
                                      f"~/.cache/dragon_widgets/lpips/)")
        found.append(hit)
    return found[0], found[1]


def load_lpips(folder: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> LPIPS:
    """The LPIPS (AlexNet, v0.1) network with its published weights (see :func:`find_weights`), on ``device``."""
    alex_path, lin_path = find_weights(folder)
    try:
        alex = torch.load(alex_path, map_location="cpu", weights_only=True)
        lin = torch.load(lin_path, map_location="cpu", weights_only=True)
    except Exception as err:  # a truncated download, or a file that is not a state dict
        raise ValueError(f"cannot read the LPIPS weights ({alex_path}, {lin_path}): {type(err).__name__}: "
                         f"{str(err)[:200]}") from None
    if not isinstance(alex, dict) or not isinstance(lin, dict):
        raise ValueError(f"{alex_path} and {lin_path} must hold state dicts")
    return LPIPS().load_weights(alex, lin).to(device)


def to_input(image: Any, device: str | torch.device = "cpu", side: int | None = SIDE) -> torch.Tensor:
    """uint8 (H, W, 3) → (1, 3, side, side) in [-1, 1], resized bilinearly (as the DragBench evaluation)."""
    import numpy as np

    x = torch.from_numpy(np.array(image, dtype=np.float32)).float().permute(2, 0, 1)[None] / 127.5 - 1
    x = x.to(device)
    if side is not None:
        x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
    return x
