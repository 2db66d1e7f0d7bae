"""Named hyper-parameter sets. Every number the engine uses lives here.

``sd15`` reproduces the official DragonDiffusion/DiffEditor values (MC-E/DragonDiffusion, see
``dragon_algorithm.md`` §4–§8); ``embedded`` is tuned for the package's small 64×64 model on the
ShapesBench tuning split; ``sdxl`` carries the sd15 values over to SDXL's layout (derived, not tuned).
A model family (engine/families/) names its default preset.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .edits import AppearanceParams, DragParams, LandmarkParams, ModeParams, MoveParams, PasteParams, params_class


@dataclass(frozen=True)
class Preset:
    """A complete, named configuration of the method for one model family."""

    name: str
    resolution: int  # working images have area ≈ resolution², sides rounded to ``multiple``
    multiple: int
    num_steps: int = 50
    inversion_refine: int = 0  # fixed-point iterations per DDIM-inversion step (0 = classic DDIM inversion) ...
    inversion_tol: float = 0.0  # ... stopping early once one moves the latent by less than this share of its norm
    inversion_accelerate: bool = False  # Anderson acceleration of the iterations (sampler.inversion_step)
    schedule: str = "diffeditor"  # "diffeditor" (D+) or "dragondiffusion" (D)
    guided_until: int = 30  # guidance on steps i < guided_until ...
    dense_until: int = 10  # ... every step before dense_until, then every other step (D+ only)
    time_travel_steps: tuple[int, ...] = (22, 24, 26, 28)  # D+ only
    time_travel_rounds: int = 3
    sde_window: tuple[int, int] = (10, 20)  # regional SDE for lo < i < hi (D+ only)
    ip_window: tuple[int, int] = (10, 20)  # image prompt for lo ≤ i < hi
    # UNet modules by name pattern (regular expressions over unet.named_modules(); engine/families/layers.py):
    feature_layers: tuple[str, ...] = ()  # one module per pattern; its output is a guidance feature map
    feature_upscale: int = 2  # guidance grid = feature_upscale × latent size (nearest upsampling)
    bank_layers: tuple[str, ...] = ()  # the self-attention layers inside these modules use the memory bank
    attract_beta: float = 4.0  # attract energies are w / (1 + β·sim)
    drag_window: int = 1  # drag windows are (2·drag_window+1)² cells of the guidance grid
    preview_every: int = 5
    generate_guidance_scale: float = 7.5  # classifier-free guidance for editor.generate()
    bank_dtype: str | None = None  # "float16" to halve the bank; None = the model's dtype
    bank_device: str | None = "cpu"  # where the bank lives between steps (None = model device)
    modes: dict[str, ModeParams] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.schedule not in ("diffeditor", "dragondiffusion"):
            raise ValueError(f"schedule must be 'diffeditor' or 'dragondiffusion', got {self.schedule!r}")
        for key in ("feature_layers", "bank_layers"):
            value = getattr(self, key)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"{key} must be a tuple of module-name patterns such as ('up_blocks.1',), got {value!r}")

    def check(self, modes: tuple[str, ...] | None = None) -> "Preset":
        """Raise ``ValueError`` if values that must agree do not, for the named ``modes`` (default: all). The
        editor checks the mode it runs: a chain of ``replace``/``with_mode`` calls may pass through disagreeing
        values, and an ablation may change only the mode it runs."""
        if not self.feature_layers or not self.bank_layers:
            raise ValueError(f"preset {self.name!r} must name feature_layers and bank_layers (module-name patterns), "
                             f"got {self.feature_layers} and {self.bank_layers}")
        for name in self.modes if modes is None else modes:
            m = self.mode(name)
            if len(m.layer_weights) != len(self.feature_layers):
                raise ValueError(f"preset {self.name!r}: mode {name!r} has {len(m.layer_weights)} layer_weights but "
                                 f"feature_layers names {len(self.feature_layers)} layers {self.feature_layers}; "
                                 f"give one weight per layer")
        late = [i for i in self.time_travel_steps if i >= self.num_steps - 1]
        if late:
            raise ValueError(f"time_travel_steps must be below num_steps - 1 = {self.num_steps - 1}, got {late}")
        return self

    def mode(self, name: str) -> ModeParams:
        try:
            return self.modes[name]
        except KeyError:
            raise ValueError(f"preset {self.name!r} has no parameters for mode {name!r}; "
                             f"it has {sorted(self.modes)}") from None

    def with_mode(self, name: str, **changes: Any) -> "Preset":
        """A copy with some values of one mode changed: ``preset.with_mode("move", w_edit=6)`` (the names of the
        mode's parameter class; the old union names such as drag's ``w_inpaint`` are translated)."""
        modes = dict(self.modes)
        current = self.mode(name)
        modes[name] = replace(current, **type(current).translate(changes))
        return replace(self, modes=modes)

    def replace(self, **changes: Any) -> "Preset":
        return replace(self, **_translate_blocks(changes))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Preset":
        d = _translate_blocks(dict(d))
        d["modes"] = {k: params_class(k).from_dict(v) for k, v in d.get("modes", {}).items()}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def _translate_blocks(d: dict) -> dict:
    """Edit logs written before the model-family seam name decoder blocks by index (``feature_blocks=(1, 2)``,
    ``bank_blocks=(1, 2, 3)``, SD's ``up_blocks``): the same modules by name pattern."""
    for old, new in (("feature_blocks", "feature_layers"), ("bank_blocks", "bank_layers")):
        if old in d:
            if new in d:
                raise TypeError(f"pass {new} (module-name patterns) or the older {old} (up_blocks indices), not both")
            d[new] = tuple(f"up_blocks.{int(b)}" for b in d.pop(old))
    return d


_SD15_MODES = {
    "move": MoveParams(guidance_scale=4, energy_scale=0.5e3, grad_scale=0.08, w_edit=4, w_content=6,
                       w_contrast=0.2, w_inpaint=0.8, bank_rule="replace", bank_steps=(5, 10_000),
                       layer_weights=(0.5, 0.5)),
    # the official code calls drag's contrast weight w_inpaint (0.2); start_reference: the official in-place patch
    "drag": DragParams(guidance_scale=4, energy_scale=2e3, grad_scale=0.04, w_edit=4, w_content=6,
                       w_contrast=0.2, bank_rule="concat", bank_steps=(5, 10_000), layer_weights=(0.5, 0.5),
                       start_reference=True),
    # the official face mode starts from the inverted z_T unchanged (no patch copy)
    "landmark": LandmarkParams(guidance_scale=4, energy_scale=3e3, grad_scale=0.04, w_edit=12, sde_strength=0.2,
                               sde_strength_outside=0.2, ip_scale=0.05, bank_rule="concat", bank_steps=(5, 10_000),
                               layer_weights=(0.5, 0.5), latent_copy=False),
    "appearance": AppearanceParams(guidance_scale=5, energy_scale=2e3, grad_scale=0.04, w_edit=3.5, w_content=5,
                                   bank_rule="bgfg", bank_steps=(0, 36), layer_weights=(1.0, 1.0)),
    "paste": PasteParams(guidance_scale=4, energy_scale=1.5e3, grad_scale=0.04, w_edit=4, w_content=6,
                         bank_rule="bgfg", bank_steps=(0, 36), layer_weights=(1.0, 1.0)),
}

#: SD's decoder layout (four up blocks, the first without attention): guidance features from the outputs of up blocks
#: 1 and 2 (½ and 1× the latent size), the bank in the self-attention of up blocks 1–3, as the official code.
_SD_FEATURES = ("up_blocks.1", "up_blocks.2")
_SD_BANK = ("up_blocks.1", "up_blocks.2", "up_blocks.3")
#: The embedded models' bank: every self-attention of the decoder. One pattern that fits both architectures (SD's
#: three would name ``up_blocks.3``, which has no self-attention in the second model: an error, engine/families/layers.py).
_EMBEDDED_BANK = ("up_blocks",)

#: The official values (SD-1.5, 50 DDIM steps, DiffEditor schedule; the bank in float16 as the official code keeps
#: it: 3.1 GB at 768² instead of 6.2 GB for a float32 model).
SD15 = Preset(name="sd15", resolution=768, multiple=64, bank_dtype="float16", feature_layers=_SD_FEATURES,
              bank_layers=_SD_BANK, modes=_SD15_MODES)

#: Anchoring outside the edit region at every step, one latent cell of margin (not in the official method; see
#: benchmarks/history/2026-12-08.md).
_ANCHORED = dict(anchor_steps=(0, 10_000), anchor_dilate=1)

#: Tuned for the embedded 64×64 model (ShapesBench tuning split; see benchmarks/history/2026-11-28.md).
EMBEDDED = Preset(
    name="embedded", resolution=64, multiple=16, preview_every=5, bank_device=None, generate_guidance_scale=3.0,
    # SD's decoder layout at a tiny size (models/build.py): guidance features from the outputs of up_blocks 1 and 2
    # (½ and 1× the latent) in both architectures; the bank in every decoder self-attention — up_blocks 1–3 in the
    # first model (SD's choice), 1–2 in the second (UNET_CONFIG_V2: no attention at full latent resolution)
    feature_layers=_SD_FEATURES, bank_layers=_EMBEDDED_BANK,
    inversion_refine=1,  # one fixed-point iteration: 38.2 dB reconstruction on 50 test scenes (plain DDIM: 20.2)
    # 5×5-cell drag windows and latent patch copy (the official 3×3): drag success 0.00 → 0.25 on the tuning
    # split (8 drags, whole-object editable region), 0.00 → 0.12 with a local one (benchmarks/history/2026-11-28.md)
    drag_window=2,
    # every mode anchors the latent outside its region to the inversion at every step (sampler step 5): on the tuning
    # split (10 moves) move success 0.10 → 0.40, edits with an invented object 20 → 0 %, bystanders intact 43 → 100 %
    modes={
        "move": replace(_SD15_MODES["move"], guidance_scale=1.5, **_ANCHORED),
        # no regional SDE for drags: on the tuning split it lets the small model regrow the dragged shape as a
        # blob (mean end distance 5.8 → 3.8 px, IoU 0.37 → 0.43 without it; benchmarks/history/2026-11-28.md)
        # step 0 guided against the clean inversion (the value ShapesBench was tuned with)
        "drag": replace(_SD15_MODES["drag"], guidance_scale=1.5, sde_strength=0.0, start_reference=False, **_ANCHORED),
        "landmark": replace(_SD15_MODES["landmark"], guidance_scale=1.5),  # the whole image is its region
        "appearance": replace(_SD15_MODES["appearance"], guidance_scale=1.5, **_ANCHORED),
        "paste": replace(_SD15_MODES["paste"], guidance_scale=1.5, **_ANCHORED),
    },
)

#: SDXL base (1024²). Derived from ``sd15`` and SDXL's layout, NOT tuned (no SDXL weights were available offline).
#: Layers (the scales of the official SD choice; engine/families/sdxl.py explains them): guidance features from
#: up_blocks.0 and up_blocks.1, whose outputs are ½ and 1× the latent size like SD's up_blocks.1/2; the bank in every
#: self-attention of up_blocks.1 (½ latent) and in the first transformer block of each attention of up_blocks.0
#: (¼ latent, three layers as SD's up_blocks.1) — SDXL has no self-attention at full latent resolution.
#: Everything else is sd15's: the energies are cosine similarities of features (scale-free), the schedule and the
#: mode parameters are the method's, and the two feature layers keep sd15's per-mode layer weights.
SDXL = SD15.replace(
    name="sdxl",
    resolution=1024,  # SDXL base's native size (sd15 works at 768, above SD-1.5's 512, as the official code)
    multiple=32,  # VAE factor 8 × 2² (SDXL's UNet downsamples twice; SD's three times: 8 × 2³ = 64)
    feature_layers=("up_blocks.0", "up_blocks.1"),
    bank_layers=(r"up_blocks\.0\.attentions\.\d+\.transformer_blocks\.0", "up_blocks.1"),
    generate_guidance_scale=5.0,  # StableDiffusionXLPipeline's default (sd15's 7.5 is SD's pipeline default)
)

PRESETS: dict[str, Preset] = {p.name: p for p in (SD15, EMBEDDED, SDXL)}


def get_preset(preset: str | Preset) -> Preset:
    """Look a preset up by name (or pass a :class:`Preset` through)."""
    if isinstance(preset, Preset):
        return preset
    if isinstance(preset, str) and preset in PRESETS:
        return PRESETS[preset]
    raise ValueError(f"preset must be a Preset or one of {sorted(PRESETS)}, got {preset!r}")
