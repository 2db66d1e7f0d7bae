"""Named hyper-parameter sets. Every number the engine uses lives here.

``sd15`` reproduces the official DragonDiffusion/DiffEditor values (MC-E/DragonDiffusion, see
``dragon_algorithm.md`` §4–§8); ``embedded`` is tuned for the package's small 64×64 model on the
ShapesBench tuning split.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class ModeParams:
    """Per-mode values (one row of the official table)."""

    guidance_scale: float  # classifier-free guidance γ
    energy_scale: float  # multiplies every energy before the gradient (UI value × 1000)
    grad_scale: float  # c: the regional gradient is c·(∇E_edit⊙M + ∇E_rest⊙(1−M))
    w_edit: float
    w_content: float = 0.0
    w_contrast: float = 0.0
    w_inpaint: float = 0.0
    sde_strength: float = 0.4  # η inside the SDE region during the regional-SDE window
    sde_strength_outside: float = 0.0  # η outside it
    ip_scale: float = 0.1  # image-prompt (IP-Adapter) scale during the image-prompt window
    bank_rule: str = "replace"  # visual cross-attention: "replace" | "concat" | "bgfg"
    bank_steps: tuple[int, int] = (5, 10_000)  # bank attention for start ≤ i < end
    layer_weights: tuple[float, ...] = (0.5, 0.5)  # how the feature layers are combined
    latent_copy: bool = True  # start from the edited initial latent (object noise pasted / drag patch copied)
    # step 0's guidance reference is the starting latent (the edited z_T) instead of the inverted z_T: the official
    # drag copies its patch into its list of inverted latents in place, so its step-0 reference is the patched z_T
    start_reference: bool = False


@dataclass(frozen=True)
class Preset:
    """A complete, named configuration of the method for one model family."""

    name: str
    resolution: int  # working images have area ≈ resolution², sides rounded to ``multiple``
    multiple: int
    num_steps: int = 50
    inversion_refine: int = 0  # fixed-point iterations per DDIM-inversion step (0 = classic DDIM inversion)
    schedule: str = "diffeditor"  # "diffeditor" (D+) or "dragondiffusion" (D)
    guided_until: int = 30  # guidance on steps i < guided_until ...
    dense_until: int = 10  # ... every step before dense_until, then every other step (D+ only)
    time_travel_steps: tuple[int, ...] = (22, 24, 26, 28)  # D+ only
    time_travel_rounds: int = 3
    sde_window: tuple[int, int] = (10, 20)  # regional SDE for lo < i < hi (D+ only)
    ip_window: tuple[int, int] = (10, 20)  # image prompt for lo ≤ i < hi
    feature_blocks: tuple[int, ...] = (1, 2)  # decoder up_blocks whose outputs are the guidance features
    feature_upscale: int = 2  # guidance grid = feature_upscale × latent size (nearest upsampling)
    bank_blocks: tuple[int, ...] = (1, 2, 3)  # decoder up_blocks whose self-attention uses the bank
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

    def check(self, modes: tuple[str, ...] | None = None) -> "Preset":
        """Raise ``ValueError`` if values that must agree do not, for the named ``modes`` (default: all). The
        editor checks the mode it runs: a chain of ``replace``/``with_mode`` calls may pass through disagreeing
        values, and an ablation may change only the mode it runs."""
        for name in self.modes if modes is None else modes:
            m = self.mode(name)
            if len(m.layer_weights) != len(self.feature_blocks):
                raise ValueError(f"preset {self.name!r}: mode {name!r} has {len(m.layer_weights)} layer_weights but "
                                 f"feature_blocks names {len(self.feature_blocks)} blocks {self.feature_blocks}; "
                                 f"give one weight per block")
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
        """A copy with some values of one mode changed: ``preset.with_mode("move", w_edit=6)``."""
        modes = dict(self.modes)
        modes[name] = replace(self.mode(name), **changes)
        return replace(self, modes=modes)

    def replace(self, **changes: Any) -> "Preset":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Preset":
        d = dict(d)
        d["modes"] = {k: ModeParams(**{kk: tuple(vv) if isinstance(vv, list) else vv for kk, vv in v.items()})
                      for k, v in d.get("modes", {}).items()}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


_SD15_MODES = {
    "move": ModeParams(guidance_scale=4, energy_scale=0.5e3, grad_scale=0.08, w_edit=4, w_content=6,
                       w_contrast=0.2, w_inpaint=0.8, bank_rule="replace", bank_steps=(5, 10_000),
                       layer_weights=(0.5, 0.5)),
    "drag": ModeParams(guidance_scale=4, energy_scale=2e3, grad_scale=0.04, w_edit=4, w_content=6,
                       w_inpaint=0.2, bank_rule="concat", bank_steps=(5, 10_000), layer_weights=(0.5, 0.5),
                       start_reference=True),
    # the official face mode starts from the inverted z_T unchanged (no patch copy)
    "landmark": ModeParams(guidance_scale=4, energy_scale=3e3, grad_scale=0.04, w_edit=12, sde_strength=0.2,
                           sde_strength_outside=0.2, ip_scale=0.05, bank_rule="concat", bank_steps=(5, 10_000),
                           layer_weights=(0.5, 0.5), latent_copy=False),
    "appearance": ModeParams(guidance_scale=5, energy_scale=2e3, grad_scale=0.04, w_edit=3.5, w_content=5,
                             bank_rule="bgfg", bank_steps=(0, 36), layer_weights=(1.0, 1.0)),
    "paste": ModeParams(guidance_scale=4, energy_scale=1.5e3, grad_scale=0.04, w_edit=4, w_content=6,
                        bank_rule="bgfg", bank_steps=(0, 36), layer_weights=(1.0, 1.0)),
}

#: The official values (SD-1.5, 50 DDIM steps, DiffEditor schedule; the bank in float16 as the official code keeps
#: it: 3.1 GB at 768² instead of 6.2 GB for a float32 model).
SD15 = Preset(name="sd15", resolution=768, multiple=64, bank_dtype="float16", modes=_SD15_MODES)

#: Tuned for the embedded 64×64 model (ShapesBench tuning split; see benchmarks/RESULTS.md).
EMBEDDED = Preset(
    name="embedded", resolution=64, multiple=16, preview_every=5, bank_device=None, generate_guidance_scale=3.0,
    inversion_refine=1,  # one fixed-point iteration: 38.2 dB reconstruction on 50 test scenes (plain DDIM: 20.2)
    # 5×5-cell drag windows and latent patch copy (the official 3×3): drag success 0.00 → 0.25 on the tuning
    # split (8 drags, whole-object editable region), 0.00 → 0.12 with a local one (RESULTS.md)
    drag_window=2,
    modes={
        "move": replace(_SD15_MODES["move"], guidance_scale=1.5),
        # no regional SDE for drags: on the tuning split it lets the small model regrow the dragged shape as a
        # blob (mean end distance 5.8 → 3.8 px, IoU 0.37 → 0.43 without it; RESULTS.md)
        # step 0 guided against the clean inversion (the value ShapesBench was tuned with)
        "drag": replace(_SD15_MODES["drag"], guidance_scale=1.5, sde_strength=0.0, start_reference=False),
        "landmark": replace(_SD15_MODES["landmark"], guidance_scale=1.5),
        "appearance": replace(_SD15_MODES["appearance"], guidance_scale=1.5),
        "paste": replace(_SD15_MODES["paste"], guidance_scale=1.5),
    },
)

PRESETS: dict[str, Preset] = {p.name: p for p in (SD15, EMBEDDED)}


def get_preset(preset: str | Preset) -> Preset:
    """Look a preset up by name (or pass a :class:`Preset` through)."""
    if isinstance(preset, Preset):
        return preset
    if isinstance(preset, str) and preset in PRESETS:
        return PRESETS[preset]
    raise ValueError(f"preset must be a Preset or one of {sorted(PRESETS)}, got {preset!r}")
