"""One guided DDIM loop for every mode (DiffEditor "D+" schedule, or DragonDiffusion "D").

Per step i (timestep t):
1. ε from the UNet with classifier-free guidance, with memory-bank attention inside the mode's step range;
2. on guided steps, the regional energy gradient g = c·Σ_regions ∇E_region ⊙ mask_region;
3. x̂₀ = (z_t − √(1−ᾱ_t)(ε+g)) / √ᾱ_t and z_{t−1} = √ᾱ_prev·x̂₀ + √(1−ᾱ_prev−σ²)·ε + σ·n, with η
   set per region during the regional-SDE window;
4. at time-travel steps, repeat: re-noise z_{t−1} back to t by one deterministic DDIM step with ε
   predicted at z_{t−1}'s own timestep (as the official code), and redo step i; only when there is energy
   (energy scale ≠ 0 and energy terms), as the official code;
5. with the mode's ``anchor_steps``, z_{t−1} outside the region the edit may change is set back to the inverted
   latent of its level (not in the official method: off in the ``sd15`` preset).
The loop keeps its latent in float32 whatever the UNet's dtype; :class:`ModelAdapter` casts at the UNet.
All numbers come from the preset and the mode's parameters; the plan holds the mode's geometry.
After every pass (each time-travel round included) it emits a :class:`StepEvent` on its :class:`StepChannel`
and knows nothing about who listens (progress, previews, trace, cancel: see :mod:`.observers`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from .attention import BankControl
from .conditioning import Conditioning
from .edits import EditPlan
from .features import layer_outputs, to_guidance_grid
from .observers import EditCancelled, StepChannel, StepEvent
from .presets import ModeParams, Preset

__all__ = ["EditCancelled", "GuidanceError", "GuidedSampler", "ModelAdapter", "ddim_step", "ddim_update",
           "inversion_step", "predict_x0", "renoise_step", "schedule_is_guided", "schedule_rounds", "schedule_sde"]


class GuidanceError(FloatingPointError):
    """The guidance produced NaN/inf; the run stops instead of returning a black image."""


def schedule_is_guided(preset: Preset, i: int) -> bool:
    if i >= preset.guided_until:
        return False
    return preset.schedule == "dragondiffusion" or i < preset.dense_until or i % 2 == 0


def schedule_rounds(preset: Preset, i: int) -> int:
    return preset.time_travel_rounds if preset.schedule == "diffeditor" and i in preset.time_travel_steps else 1


def schedule_sde(preset: Preset, i: int) -> bool:
    lo, hi = preset.sde_window
    return preset.schedule == "diffeditor" and lo < i < hi


@dataclass
class ModelAdapter:
    """Small wrapper over the pipeline's UNet and scheduler numbers: ε from any prediction type, the UNet called
    with a :class:`Conditioning` (which builds its keyword arguments), and the guidance features."""

    unet: torch.nn.Module
    alphas_cumprod: torch.Tensor  # from the scheduler
    final_alpha: float
    prediction_type: str
    timesteps: list[int]  # denoising order
    feature_layers: tuple[str, ...] = ()  # UNet modules whose outputs are the guidance features (the family's)

    def alpha(self, t: int) -> float:
        return float(self.alphas_cumprod[t]) if t >= 0 else self.final_alpha

    def prev_t(self, i: int) -> int:
        return self.timesteps[i + 1] if i + 1 < len(self.timesteps) else -1

    def eps(self, out: torch.Tensor, z: torch.Tensor, a: float) -> torch.Tensor:
        """ε for latent ``z`` at level ᾱ=a from the model output."""
        if self.prediction_type == "epsilon":
            return out
        if self.prediction_type == "v_prediction":
            return math.sqrt(a) * out + math.sqrt(1 - a) * z
        if self.prediction_type == "sample":
            return (z - math.sqrt(a) * out) / math.sqrt(max(1 - a, 1e-12))
        raise ValueError(f"unsupported prediction_type {self.prediction_type!r}")

    def __call__(self, z, t, cond: Conditioning | None, i: int = -1, **kw) -> torch.Tensor:
        """The UNet's output for ``z`` (batch 1: the prompt; batch 2: negative prompt + prompt) at step ``i``, in
        ``z``'s dtype: the loop may keep float32 latents for a float16 UNet."""
        dtype = getattr(self.unet, "dtype", z.dtype)
        cond_kw = cond.unet_kwargs(z.shape[0], i) if cond is not None else {}
        out = self.unet(z.to(dtype), t, **cond_kw, **kw).sample
        return out.to(z.dtype)

    def features(self, z: torch.Tensor, t, cond: Conditioning) -> list[torch.Tensor]:
        """The guidance features of ``z`` (batch 1, the prompt, no image prompt) at each block's own resolution."""
        return layer_outputs(self.unet, z, t, self.feature_layers, **cond.unet_kwargs(1, -1))


def inversion_step(model: ModelAdapter, z: torch.Tensor, a_cur: float, t_next: int, emb: Conditioning | None,
                   refine: int = 0, tol: float = 0.0, accelerate: bool = False) -> torch.Tensor:
    """DDIM inversion from level ``a_cur`` to timestep ``t_next`` (model evaluated at t_next).

    ``refine=0`` is the classic step: ε is predicted from the *current* latent, which is what makes
    DDIM inversion drift. ``refine=k`` adds up to k fixed-point iterations that predict ε from the latent being
    solved for, so the next deterministic DDIM step maps the result back onto ``z`` (exact at convergence);
    each iteration costs one more UNet call. ``tol`` > 0 stops early once an iteration moves the latent by less than
    ``tol`` of its norm. ``accelerate`` uses Anderson acceleration with one previous iterate: where the plain
    iteration oscillates (a trained model's ε can change faster than the step contracts) it still converges. The
    last UNet call is the one a recording bank keeps.
    """
    a_next = model.alpha(t_next)

    def solve(w: torch.Tensor, a_in: float) -> torch.Tensor:  # the latent whose DDIM step lands on z, given ε at w
        return ddim_step(z, model.eps(model(w, t_next, emb), w, a_in), a_cur, a_next)

    x = solve(z, a_cur)
    prev: tuple[torch.Tensor, torch.Tensor] | None = None
    for _ in range(refine):
        fx = solve(x, a_next)
        r = fx - x
        if tol > 0 and float(r.norm()) <= tol * float(x.norm()):
            return fx
        if accelerate and prev is not None:
            dx, dr = x - prev[0], r - prev[1]
            denom = float((dr * dr).sum())
            gamma = float((dr * r).sum()) / denom if denom > 0 else 0.0
            prev, x = (x, r), x + r - gamma * (dx + dr)
        else:
            prev, x = (x, r), fx
    return x


def renoise_step(model: ModelAdapter, z: torch.Tensor, t_from: int, t_to: int, emb: Conditioning) -> torch.Tensor:
    """Time travel: move ``z`` (at timestep ``t_from``) back up to ``t_to`` by one deterministic DDIM step,
    with ε evaluated at ``t_from``, the level ``z`` is at (text only, no bank, no CFG)."""
    a_from, a_to = model.alpha(t_from), model.alpha(t_to)
    eps = model.eps(model(z, t_from, emb), z, a_from)
    return ddim_step(z, eps, a_from, a_to)


def predict_x0(z: torch.Tensor, eps: torch.Tensor, a_t: float) -> torch.Tensor:
    """x̂₀ from the latent ``z`` at level ᾱ=a_t and its noise estimate ε."""
    return (z - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)


def ddim_step(z: torch.Tensor, eps: torch.Tensor, a_from: float, a_to: float) -> torch.Tensor:
    """Deterministic DDIM move of ``z`` from level ``a_from`` to ``a_to`` (down for sampling, up for inversion)."""
    return ddim_update(predict_x0(z, eps, a_from), eps, a_from, a_to, 0.0, 0.0)


def ddim_update(x0, eps, a_t: float, a_prev: float, eta, noise) -> torch.Tensor:
    """z_{t−1} from x̂₀ and ε with stochasticity η (a float or a per-pixel tensor)."""
    if not torch.is_tensor(eta) and eta == 0:  # deterministic; also from ᾱ=1 (a scheduler's set_alpha_to_one)
        sigma = 0.0
    else:
        sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t)) * math.sqrt(max(1 - a_t / a_prev, 0.0))
    dir_coef = (1 - a_prev - sigma ** 2).clamp_min(0).sqrt() if torch.is_tensor(sigma) else math.sqrt(max(1 - a_prev - sigma ** 2, 0.0))
    return math.sqrt(a_prev) * x0 + dir_coef * eps + sigma * noise


@dataclass
class GuidedSampler:
    """Runs an :class:`EditPlan` (see module docstring)."""

    model: ModelAdapter
    preset: Preset
    params: ModeParams
    plan: EditPlan
    control: BankControl
    cond: Conditioning  # the prompt, its negative prompt and the image prompt (if any)
    banks: dict  # feature source name → MemoryBank ("base" always)
    grid: tuple[int, int]
    generator: torch.Generator
    observers: StepChannel = field(default_factory=StepChannel)  # progress, previews, trace, cancel, ...
    _ref_cache: dict = field(default_factory=dict)  # {step: {source: (grid features, own-resolution ones)}}
    _start: torch.Tensor | None = None  # the latent run() started from

    # ----- pieces ---------------------------------------------------------------------------
    def _features(self, z, t, i) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(features on the guidance grid, the same at the blocks' own resolution) of ``z``, batch dropped."""
        prev = self.control.mode
        self.control.mode = "off"
        try:
            native = self.model.features(z, t, self.cond)
        finally:
            self.control.mode = prev
        return [to_guidance_grid(f, self.grid)[0] for f in native], [f[0] for f in native]

    def _reference_latent(self, name: str, i: int) -> torch.Tensor:
        """z_t^gud of feature source ``name`` at step ``i``: the inverted latent, or at step 0 with the mode's
        ``start_reference`` the starting latent the loop began from (the official drag's in-place patch)."""
        if i == 0 and name == "base" and self.params.start_reference and self._start is not None:
            return self._start
        return self.banks[name].guidance_latent(i)

    def _reference_features(self, i: int, t: int) -> dict[str, list[torch.Tensor]]:
        if i not in self._ref_cache:
            with torch.no_grad():
                self._ref_cache = {i: {name: self._features(self._reference_latent(name, i).to(self.cond.device, self.cond.dtype), t, i)
                                       for name in self.banks}}
        return {name: grid for name, (grid, _native) in self._ref_cache[i].items()}

    def _eps(self, z: torch.Tensor, t: int, i: int, a_t: float) -> torch.Tensor:
        lo, hi = self.params.bank_steps
        self.control.mode = "apply" if lo <= i < hi else "off"
        self.control.t = t
        self.control.capturing = True
        gs = self.params.guidance_scale
        try:
            with torch.no_grad():
                # CFG is a no-op when the prompt is the negative prompt (e.g. "" for real images), unless an
                # image prompt is on: then the unconditional half carries the zero-image embedding
                if gs == 1.0 or (self.cond.cfg_is_noop and not self.cond.image_prompt_on(i)):
                    out = self.model(z, t, self.cond, i)
                else:
                    both = self.model(torch.cat([z, z]), t, self.cond, i)
                    u, c = both.chunk(2)
                    out = u + gs * (c - u)
        finally:
            self.control.mode = "off"
            self.control.capturing = False
        return self.model.eps(out, z, a_t)

    def _guidance(self, z: torch.Tensor, t: int, i: int) -> tuple[torch.Tensor, dict]:
        """(the update g, what observers get to see of it: energies, g, and what they need)."""
        p, preset = self.params, self.preset
        refs = self._reference_features(i, t)
        zc = z.detach().requires_grad_(True)
        per_term = self.observers.needs("gradients")
        term_grads: dict[str, torch.Tensor] = {}
        with torch.enable_grad():
            cur, cur_native = self._features(zc, t, i)
            energies = {term.name: term.energy(cur, refs, preset.attract_beta) for term in self.plan.terms}
            masks = {"edit": self.plan.edit_region, "rest": 1 - self.plan.edit_region, "all": torch.ones_like(self.plan.edit_region)}
            # the update: one gradient per region (terms of a region summed first), whoever observes
            groups: dict[str, list[str]] = {}
            for term in self.plan.terms:
                groups.setdefault(term.region, []).append(term.name)
            keys = list(groups)
            g = torch.zeros_like(z)
            for n, region in enumerate(keys):
                e = sum(energies[name] for name in groups[region]) * p.energy_scale
                if not e.requires_grad:
                    continue
                (grad,) = torch.autograd.grad(e, zc, retain_graph=per_term or n < len(keys) - 1, allow_unused=True)
                if grad is None:
                    continue
                g = g + p.grad_scale * grad * masks[region]
            # for observers only (the trace's gradient panels): one more gradient per term, never added to g
            if per_term:
                terms = self.plan.terms
                for n, term in enumerate(terms):
                    e = energies[term.name] * p.energy_scale
                    if not e.requires_grad:
                        continue
                    (grad,) = torch.autograd.grad(e, zc, retain_graph=n < len(terms) - 1, allow_unused=True)
                    if grad is not None:
                        term_grads[term.name] = (p.grad_scale * grad * masks[term.region]).detach()
        if not torch.isfinite(g).all():
            raise GuidanceError(f"the energy gradient became NaN/inf at step {i} (t={t}); lower the mode's "
                                f"energy_scale ({p.energy_scale}) or grad_scale ({p.grad_scale})")
        seen = {"energies": {k: v.detach() for k, v in energies.items()}, "gradient": g, "term_gradients": term_grads}
        if self.observers.needs("features"):
            refname = {t.ref for t in self.plan.terms if t.name == "edit"} or {"base"}
            seen["features"] = {"current": [c.detach() for c in cur_native],
                                "reference": self._ref_cache[i][next(iter(refname))][1]}
        return g, seen

    def _anchor_region(self) -> torch.Tensor | None:
        """(1, 1, h, w): 1 where the edit may change the latent (edit ∪ SDE region, dilated by ``anchor_dilate``
        cells), 0 where it is anchored to the inversion; None when the mode never anchors."""
        lo, hi = self.params.anchor_steps
        if hi <= lo:
            return None
        r = self.params.anchor_dilate
        if isinstance(r, bool) or not isinstance(r, int) or r < 0:
            raise ValueError(f"anchor_dilate must be a whole number ≥ 0 (latent cells), got {r!r}")
        free = ((self.plan.edit_region > 0) | (self.plan.sde_region > 0)).float()
        if r > 0:
            free = torch.nn.functional.max_pool2d(free, 2 * r + 1, stride=1, padding=r)
        return free

    def _anchor(self, z_prev: torch.Tensor, i: int, free: torch.Tensor | None) -> torch.Tensor:
        """``z_prev`` (the latent after step ``i``) with the anchored cells set to the inverted latent of its level."""
        lo, hi = self.params.anchor_steps
        if free is None or not lo <= i < hi:
            return z_prev
        inverted = self.banks["base"].guidance_latent(i + 1).to(z_prev)  # i + 1 = the number of steps: z_0
        return free * z_prev + (1 - free) * inverted

    # ----- loop -------------------------------------------------------------------------------
    def run(self, z: torch.Tensor) -> torch.Tensor:
        preset, p, model = self.preset, self.params, self.model
        total = len(model.timesteps)
        free = self._anchor_region()
        sde_in = self.plan.sde_region.float()
        z = z.float()
        self._start = z.detach()
        energy_on = p.energy_scale != 0 and bool(self.plan.terms)
        for i, t in enumerate(model.timesteps):
            a_t, t_prev = model.alpha(t), model.prev_t(i)
            a_prev = model.alpha(t_prev)
            # time travel refines the guidance: without energy the official code runs one round
            rounds = schedule_rounds(preset, i) if energy_on else 1
            guided = schedule_is_guided(preset, i) and energy_on
            for r in range(rounds):
                eps = self._eps(z, t, i, a_t)
                g, seen = self._guidance(z, t, i) if guided else (0, {})
                x0 = predict_x0(z, eps + g, a_t)
                if schedule_sde(preset, i):
                    noise = torch.randn(z.shape, generator=self.generator, dtype=torch.float32).to(z)
                    eta = sde_in * p.sde_strength + (1 - sde_in) * p.sde_strength_outside
                    z_prev = ddim_update(x0, eps, a_t, a_prev, eta, noise)
                else:
                    z_prev = ddim_update(x0, eps, a_t, a_prev, 0.0, 0.0)
                z_prev = self._anchor(z_prev, i, free)
                if not torch.isfinite(z_prev).all():
                    raise GuidanceError(f"the latent became NaN/inf at step {i} (t={t}); lower the energy scale")
                attention = dict(self.control.capture) if self.control.capture else {}
                if self.control.capture is not None:
                    self.control.capture.clear()
                self.observers.emit(StepEvent(phase="edit", index=i, total=total, timestep=int(t), latent=z_prev,
                                              round=r, rounds=rounds, guided=guided, attention=attention,
                                              predict_x0=lambda x0=x0: x0, **seen))
                if r < rounds - 1:  # time travel: back to t, then redo this step
                    with torch.no_grad():
                        z = renoise_step(model, z_prev, t_prev, t, self.cond)
            z = z_prev
        return z
