"""DragonEditor: invert / generate / edit / cancel on any Stable-Diffusion-style diffusers pipeline."""

from __future__ import annotations

import copy
import functools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
from PIL import Image

from .attention import BankControl, installed
from .conditioning import Conditioning
from .edits import Edit, EditContext, ModeParams, edit_type_names
from .families import ModelFamily, family_of
from .image_prompt import ImagePrompt
from ..core.images import resize_rgb, to_rgb_array, warn_if_huge, working_size
from .memory import MemoryBank
from .pipeline import execution_device, model_id
from .observers import (CancelToken, EditCancelled, Observer, PreviewObserver, ProgressObserver, StepChannel,
                        StepEvent, check_observers)
from .presets import Preset, get_preset
from .sampler import GuidedSampler, ModelAdapter, ddim_step, inversion_step, predict_x0
from .sharing import hold
from .arguments import check_seed, real_number
from .fingerprint import check_same_model, model_fingerprint
from .preset_limits import check_work_area, check_work_size
from .trace import EditTrace, TraceRecorder, record_flags

OnStep = Callable[[int, int, "Image.Image | None"], "bool | None"]
#: The smallest ᾱ the sampler uses (see ``DragonEditor._model``).
ALPHA_FLOOR = 2.0 ** -24


@dataclass
class Source:
    """An image the editor can edit: the input, its prompt and its memory bank (inversion or generation)."""

    image: Image.Image  # at the input's original size
    prompt: str
    bank: MemoryBank | None  # None in a result kept only for its image and log (e.g. the editor app's history)
    work_image: np.ndarray  # uint8 at the working resolution
    timings: dict = field(default_factory=dict)
    model: str = ""  # the model that made it (model_id) ...
    fingerprint: str = ""  # ... and its weights' fingerprint: another model's editor refuses it ("" = unchecked)
    seed: int | None = None  # generate()'s seed (None for an inverted image)
    preset: Preset | None = None  # the preset it was inverted/generated with

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size

    @property
    def work_size(self) -> tuple[int, int]:
        return self.work_image.shape[1], self.work_image.shape[0]

    @property
    def latents(self) -> list[torch.Tensor]:
        return self.bank.latents


@dataclass
class EditResult:
    image: Image.Image  # same size as the input
    source: Source
    edit: Edit
    seed: int
    prompt: str
    preset: Preset  # the effective preset of this edit (per-call preset and params applied); the log keeps it
    model: str
    trace: EditTrace | None
    timings: dict
    work_image: np.ndarray
    region: np.ndarray | None = None  # bool (H, W) at the working size: where the edit may change the image
    points: list = field(default_factory=list)  # handle → target pairs at the working size (point edits)
    metrics: dict | None = None  # in-line metrics (dw.measure_edit), kept in the edit log

    def save(self, folder) -> Path:
        """Write the edit log (JSON + PNG masks/images) to ``folder``; ``dw.replay(folder)`` redoes it."""
        from .log import save_result

        return save_result(self, folder)


@dataclass(frozen=True)
class CallSettings:
    """What one call runs with: the effective preset and the state derived from it (computed per call, so a
    per-call preset never leaves stale layer lists behind)."""

    preset: Preset
    bank_layers: tuple[str, ...]  # processor names of the memory-bank self-attention layers
    layers: tuple[str, ...]  # the guidance feature modules

    @property
    def bank_dtype(self) -> torch.dtype | None:
        return {"float16": torch.float16, "bfloat16": torch.bfloat16, None: None}[self.preset.bank_dtype]


def _with_params(preset: Preset, mode: str, params: ModeParams | dict) -> Preset:
    """``preset`` with mode ``mode``'s parameters replaced by ``params`` (its parameter object or a dict of fields)."""
    current = preset.mode(mode)
    if isinstance(params, ModeParams):
        if type(params) is not type(current):
            raise TypeError(f"params must be a {type(current).__name__} for mode {mode!r} (or a dict of its fields), "
                            f"got {type(params).__name__}")
        return preset.replace(modes={**preset.modes, mode: params})
    if isinstance(params, dict):
        try:
            return preset.with_mode(mode, **params)
        except ValueError as exc:
            raise ValueError(f"params: {exc}") from None
    raise TypeError(f"params must be a {type(current).__name__} or a dict of its fields, got {type(params).__name__}")


class DragonEditor:
    """DragonDiffusion/DiffEditor editing with a diffusers pipeline of a supported model family
    (``dragon_widgets.engine.families``: SD 1.x/2.x, SDXL, the embedded model).

    ``preset``: a name ("sd15", "sdxl", "embedded") or a :class:`Preset`; by default the family's. It is the
    default of every call; ``invert``/``generate``/``edit`` take ``preset=`` (and ``edit`` ``params=``) for one call
    without changing the editor.
    """

    def __init__(self, pipe, preset: str | Preset | None = None):
        self.family: ModelFamily = family_of(pipe)
        self.pipe = pipe
        self.preset = get_preset(preset if preset is not None else self.family.preset)
        self._cancel = CancelToken()
        self._lock = threading.Lock()
        self._embeds: dict[tuple[str, tuple[int, int]], Conditioning] = {}
        self._layer_cache: dict[tuple, tuple[list[str], list[str]]] = {}
        self.settings()  # a preset naming modules this UNet lacks fails here, not mid-edit

    def settings(self, preset: str | Preset | None = None, mode: str | None = None,
                 params: ModeParams | dict | None = None) -> CallSettings:
        """The settings a call runs with: ``preset`` (default ``editor.preset``) with ``params`` applied to
        ``mode``, checked (for ``mode``) and with its derived layer lists. ``ValueError`` when it does not fit."""
        eff = self.preset if preset is None else get_preset(preset)
        if params is not None:
            if mode is None:
                raise ValueError("params needs the mode whose parameters it sets")
            eff = _with_params(eff, mode, params)
        eff.check(modes=() if mode is None else (mode,))
        layers, bank_layers = self._resolve_layers(eff)
        return CallSettings(preset=eff, bank_layers=tuple(bank_layers), layers=tuple(layers))

    def _resolve_layers(self, preset: Preset) -> tuple[list[str], list[str]]:
        """(guidance feature modules, bank processor names) the preset's patterns select in this UNet."""
        key = (preset.feature_layers, preset.bank_layers)
        if key not in self._layer_cache:
            try:
                self._layer_cache[key] = (self.family.feature_layers(self.pipe.unet, preset.feature_layers),
                                          self.family.bank_layers(self.pipe.unet, preset.bank_layers))
            except ValueError as err:
                raise ValueError(f"preset {preset.name!r} does not fit this {self.family.label} UNet: {err}") from None
        return self._layer_cache[key]

    @property
    def layers(self) -> list[str]:
        """The UNet modules whose outputs are the guidance features (from the preset's ``feature_layers``)."""
        return self._resolve_layers(self.preset)[0]

    @property
    def bank_layers(self) -> list[str]:
        """Processor names of the self-attention layers that use the memory bank (the preset's ``bank_layers``)."""
        return self._resolve_layers(self.preset)[1]

    # ----- basics ------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return execution_device(self.pipe)

    @property
    def dtype(self) -> torch.dtype:
        return self.pipe.unet.dtype

    @property
    def vae_factor(self) -> int:
        return int(getattr(self.pipe, "vae_scale_factor", 8))

    def cancel(self) -> None:
        """Stop the running invert/generate/reconstruct/edit at the next step (it raises EditCancelled). Thread-safe."""
        self._cancel.cancel()

    def _channel(self, on_step: OnStep | None, observers: Iterable[Observer] | None = (),
                 previews: PreviewObserver | None = None, recorder: TraceRecorder | None = None) -> StepChannel:
        """The run's observers: the cancel token first and last (an observer may cancel the step it sees), the
        trace recorder, the caller's observers, then the ``on_step`` progress contract."""
        chain: list = [self._cancel]
        if recorder is not None:
            chain.append(recorder)
        chain += StepChannel(observers).observers
        if on_step is not None:
            chain.append(ProgressObserver(on_step, previews))
        chain.append(self._cancel)
        return StepChannel(chain, decode=self.decode)

    def _model(self, num_steps: int | None = None, settings: CallSettings | None = None) -> ModelAdapter:
        """The DDIM model adapter for ``num_steps`` (default: the settings' preset) with the settings' feature
        layers (default: ``editor.preset``'s)."""
        settings = settings if settings is not None else self.settings()
        # The method is DDIM: a DDIM scheduler from the pipeline's own config (same betas and alphas_cumprod),
        # whatever scheduler the pipeline ships (SD-1.5 on the hub ships PNDM, whose 50-step schedule repeats a
        # timestep and has 51 entries).
        from diffusers import DDIMScheduler

        sched = DDIMScheduler.from_config(self.pipe.scheduler.config)
        sched.set_timesteps(num_steps or settings.preset.num_steps)
        final = getattr(sched, "final_alpha_cumprod", None)
        final = float(final) if final is not None else 1.0
        # a zero-terminal-SNR schedule (rescale_betas_zero_snr) has ᾱ = 0 at its last timestep, where x̂₀ = (z − √(1−ᾱ)ε)/√ᾱ
        # is undefined: floor ᾱ at 2⁻²⁴ as diffusers' Euler schedulers do (x̂₀ then equals the v-prediction's −v to
        # float32 rounding); every other schedule is unchanged (SD's smallest ᾱ is 0.0047)
        alphas = sched.alphas_cumprod.float().cpu().clamp_min(ALPHA_FLOOR)
        return ModelAdapter(unet=self.pipe.unet, alphas_cumprod=alphas, final_alpha=final,
                            prediction_type=sched.config.prediction_type,
                            timesteps=[int(t) for t in sched.timesteps], feature_layers=settings.layers)

    def embed(self, prompt: str, size: tuple[int, int] | None = None) -> Conditioning:
        """``prompt`` encoded by the model family into one :class:`Conditioning` (prompt and negative prompt "",
        and e.g. SDXL's pooled embeddings and time ids for a working image of ``size`` (w, h), by default the
        preset's square), cached per prompt and size."""
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a string, got {type(prompt).__name__}")
        r = self.preset.resolution
        key = (prompt, tuple(int(v) for v in (size or (r, r))))
        if key not in self._embeds:
            with torch.no_grad():
                self._embeds[key] = self.family.encode_prompt(self.pipe, prompt, key[1], self.device)
        return self._embeds[key]

    def working_size(self, size: tuple[int, int], preset: str | Preset | None = None) -> tuple[int, int]:
        """The working (W, H) for an input of ``size`` under ``preset`` (default ``editor.preset``); a ``ValueError``
        before anything is allocated when the preset's resolution or the aspect ratio would make it unreasonably
        large."""
        p = self.preset if preset is None else get_preset(preset)
        check_work_area(p.resolution, p.multiple)
        work = working_size(size, p.resolution, p.multiple)
        check_work_size(work, size, p.resolution)
        return work

    def encode(self, image: np.ndarray) -> torch.Tensor:
        """A uint8 (H, W, 3) working image as a (1, c, h, w) latent (the family's VAE encoding)."""
        return self.family.encode(self.pipe, image, self.device, self.dtype)

    def decode(self, z: torch.Tensor) -> np.ndarray:
        """A latent as a uint8 (H, W, 3) image (the family's VAE decoding)."""
        return self.family.decode(self.pipe, z)

    def _bank(self, timesteps: list[int], settings: CallSettings) -> MemoryBank:
        return MemoryBank(timesteps=timesteps, device=settings.preset.bank_device, dtype=settings.bank_dtype)

    def _start(self) -> None:
        if not self._lock.acquire(blocking=False):
            raise RuntimeError("the editor is already running an edit; wait for it or call editor.cancel()")
        self._cancel.clear()
        try:  # other editors on this pipeline: wait for their run to end (cancel() still works meanwhile)
            self._pipe_lock = hold(self.pipe.unet, self._cancel, EditCancelled)
        except BaseException:
            self._lock.release()
            raise

    def _finish(self) -> None:
        self._pipe_lock.release()
        self._lock.release()

    def _check_model(self, source: Source, name: str) -> None:
        check_same_model(source, name, model_id(self.pipe), model_fingerprint(self.pipe.unet))

    # ----- inversion / generation ---------------------------------------------------------------
    def invert(self, image, prompt: str = "", on_step: OnStep | None = None, *, preset: str | Preset | None = None,
               observers: Iterable[Observer] | None = ()) -> Source:
        """DDIM-invert ``image`` (PIL or array, any size) into a :class:`Source` with its memory bank.

        ``preset``: this call's preset (default ``editor.preset``); ``observers``: callables taking each
        :class:`~dragon_widgets.engine.observers.StepEvent` (phase ``"invert"``).
        """
        arr = to_rgb_array(image, "image")
        pil = Image.fromarray(arr)
        settings = self.settings(preset)
        work = self.working_size(pil.size, settings.preset)
        warn_if_huge(pil.size, work)
        channel = self._channel(on_step, observers)
        self._start()
        try:
            src = self._invert(resize_rgb(arr, work), prompt, settings, channel)
        finally:
            self._finish()
        src.image = pil
        return src

    def _invert(self, work_img: np.ndarray, prompt: str, settings: CallSettings | None = None,
                channel: StepChannel | None = None) -> Source:
        """Invert a working-size image (default: ``editor.preset``, reporting only to the cancel token)."""
        settings = settings if settings is not None else self.settings()
        channel = channel if channel is not None else StepChannel([self._cancel])
        t0 = time.perf_counter()
        preset = settings.preset
        model = self._model(settings=settings)
        ip = ImagePrompt(self.pipe, work_img)  # scale 0: inversion uses text only
        cond = self.embed(prompt, (work_img.shape[1], work_img.shape[0])).with_image_prompt(ip)
        z = self.encode(work_img)
        bank = self._bank(model.timesteps, settings)
        bank.latents.append(z.detach().to(bank.device or z.device, bank.dtype or z.dtype))
        control = BankControl(mode="record", bank=bank, latent_hw=tuple(z.shape[-2:]))
        a_cur = model.final_alpha
        asc = model.timesteps[::-1]
        try:
            with installed(self.pipe.unet, list(settings.bank_layers), control), torch.no_grad():
                for j, t in enumerate(asc):
                    control.t = t
                    z = inversion_step(model, z, a_cur, t, cond, refine=preset.inversion_refine,
                                       tol=preset.inversion_tol, accelerate=preset.inversion_accelerate)
                    a_cur = model.alpha(t)
                    bank.latents.append(z.detach().to(bank.device or z.device, bank.dtype or z.dtype))
                    channel.emit(StepEvent(phase="invert", index=j, total=len(asc), timestep=int(t), latent=z))
        finally:  # the user's image-prompt scales come back on every path (cancel, error)
            ip.restore()
        return Source(image=Image.fromarray(work_img), prompt=prompt, bank=bank, work_image=work_img,
                      timings={"invert": time.perf_counter() - t0}, model=model_id(self.pipe),
                      fingerprint=model_fingerprint(self.pipe.unet), preset=preset)

    def generate(self, prompt: str, seed: int = 0, guidance_scale: float | None = None,
                 size: tuple[int, int] | None = None, on_step: OnStep | None = None, *,
                 preset: str | Preset | None = None, observers: Iterable[Observer] | None = ()) -> Source:
        """Sample an image for ``prompt``; the result is editable without inversion (its bank is recorded).
        ``seed=None`` draws a random seed, kept in ``source.seed``.

        ``preset``: this call's preset (default ``editor.preset``); ``observers`` see phase ``"generate"``.
        """
        seed = check_seed(seed)
        settings = self.settings(preset)
        p = settings.preset
        gs = real_number(guidance_scale if guidance_scale is not None else p.generate_guidance_scale,
                         "guidance_scale")
        w, h = self.working_size(size or (p.resolution, p.resolution), p)
        channel = self._channel(on_step, observers)
        self._start()
        try:
            t0 = time.perf_counter()
            model = self._model(settings=settings)
            ip = ImagePrompt(self.pipe, np.full((h, w, 3), 127, np.uint8))  # adapter (if any) at scale 0
            cond = self.embed(prompt, (w, h)).with_image_prompt(ip)
            gen = torch.Generator().manual_seed(int(seed))
            ch = self.pipe.unet.config.in_channels
            z = torch.randn((1, ch, h // self.vae_factor, w // self.vae_factor), generator=gen).to(self.device, self.dtype)
            bank = self._bank(model.timesteps, settings)
            control = BankControl(mode="record", bank=bank, latent_hw=tuple(z.shape[-2:]))
            zs = [z]
            try:
                with installed(self.pipe.unet, list(settings.bank_layers), control), torch.no_grad():
                    for i, t in enumerate(model.timesteps):
                        control.t = t
                        a_t, a_prev = model.alpha(t), model.alpha(model.prev_t(i))
                        u, c = model(torch.cat([z, z]), t, cond).chunk(2)
                        eps = model.eps(u + gs * (c - u), z, a_t)
                        x0 = functools.partial(predict_x0, z, eps, a_t)
                        z = ddim_step(z, eps, a_t, a_prev)
                        zs.append(z)
                        channel.emit(StepEvent(phase="generate", index=i, total=len(model.timesteps), timestep=int(t),
                                               latent=z, predict_x0=x0))
            finally:
                ip.restore()
            bank.latents = [x.detach().to(bank.device or x.device, bank.dtype or x.dtype) for x in reversed(zs)]
            img = self.decode(z)
        finally:
            self._finish()
        return Source(image=Image.fromarray(img), prompt=prompt, bank=bank, work_image=img,
                      timings={"generate": time.perf_counter() - t0}, model=model_id(self.pipe),
                      fingerprint=model_fingerprint(self.pipe.unet), seed=seed, preset=p)

    def reconstruct(self, source: Source, on_step: OnStep | None = None, *,
                    observers: Iterable[Observer] | None = ()) -> np.ndarray:
        """Deterministic DDIM sampling from ``source``'s inverted noise with its prompt, no edit, no guidance.

        Compare it with ``source.work_image`` to see how faithful the inversion is before editing (the
        ShapesBench inversion benchmark does exactly this). Returns an uint8 array at the working size.
        It runs the source's own number of steps; ``observers`` see phase ``"reconstruct"``.
        """
        if not isinstance(source, Source):
            raise TypeError(f"source must be a dw.Source from editor.invert() or editor.generate(), "
                            f"got {type(source).__name__}")
        if source.bank is None:
            raise ValueError("source has no memory bank (it was kept for its image only); invert source.image again")
        self._check_model(source, "source")
        channel = self._channel(on_step, observers)
        self._start()
        try:
            model = self._model(source.bank.num_steps)
            ip = ImagePrompt(self.pipe, source.work_image)  # adapter (if any) at scale 0
            cond = self.embed(source.prompt, source.work_size).with_image_prompt(ip)
            z = source.bank.z_T.to(self.device, self.dtype)
            try:
                with torch.no_grad():
                    for i, t in enumerate(model.timesteps):
                        a_t, a_prev = model.alpha(t), model.alpha(model.prev_t(i))
                        eps = model.eps(model(z, t, cond), z, a_t)
                        x0 = functools.partial(predict_x0, z, eps, a_t)
                        z = ddim_step(z, eps, a_t, a_prev)
                        channel.emit(StepEvent(phase="reconstruct", index=i, total=len(model.timesteps),
                                               timestep=int(t), latent=z, predict_x0=x0))
            finally:
                ip.restore()
            return self.decode(z)
        finally:
            self._finish()

    # ----- editing ------------------------------------------------------------------------------
    def edit(self, source: Source, edit: Edit, seed: int = 0, prompt: str | None = None,
             on_step: OnStep | None = None, record: Any = None, on_reference_step: OnStep | None = None, *,
             preset: str | Preset | None = None, params: ModeParams | dict | None = None,
             observers: Iterable[Observer] | None = ()) -> EditResult:
        """Run one edit on an inverted/generated ``source``; returns an :class:`EditResult`.

        ``on_step(step, total, preview)`` follows the sampler; ``on_reference_step(step, total, None)`` follows
        the inversion of the reference image that Appearance and Paste do first (returning False cancels).
        ``preset``: this call's preset (name or :class:`Preset`, default ``editor.preset``); ``params``: the edit
        mode's parameters for this call, a parameter object (e.g. ``dw.MoveParams``) or a dict of fields to change
        (``{"w_edit": 6}``). Neither changes the editor; ``result.preset`` is the effective preset (the edit log keeps
        it). ``observers``: callables taking each :class:`~dragon_widgets.engine.observers.StepEvent` (phase
        ``"edit"``, after phase ``"invert"`` for a reference image); ``record`` attaches a trace recorder.
        ``seed``: an int in 0 ≤ seed < 2**63, or None for a random one (kept in ``result.seed`` and the saved log).
        """
        if not isinstance(source, Source):
            raise TypeError(f"source must be a dw.Source from editor.invert() or editor.generate(), "
                            f"got {type(source).__name__}")
        if not isinstance(edit, Edit):
            raise TypeError(f"edit must be {edit_type_names()}, got {type(edit).__name__}")
        if source.bank is None:
            raise ValueError("source has no memory bank (it was kept for its image only); invert source.image again")
        self._check_model(source, "source")
        if isinstance(getattr(edit, "reference", None), Source) and edit.reference.bank is not None:
            self._check_model(edit.reference, "reference")
        settings = self.settings(preset, edit.mode, params)
        eff = settings.preset
        if source.bank.num_steps != eff.num_steps:
            raise ValueError(f"source was inverted with {source.bank.num_steps} steps but the preset uses "
                             f"{eff.num_steps}; invert it again with this preset")
        missing = [n for n in settings.bank_layers if n not in source.bank.kv]
        if missing:
            raise ValueError(f"source's memory bank has no keys/values for {len(missing)} layers the preset's "
                             f"bank_layers {eff.bank_layers} select (e.g. {missing[0]!r}); invert it again with this "
                             f"preset")
        seed = check_seed(seed)
        flags = record_flags(record)
        observers = check_observers(observers)
        edit = copy.copy(edit).validate(source.size)
        prompt = source.prompt if prompt is None else prompt
        self._start()
        try:
            return self._edit(source, edit, settings, seed, prompt, on_step, observers, flags, on_reference_step)
        finally:
            self._finish()

    def _edit(self, source: Source, edit: Edit, settings: CallSettings, seed: int, prompt: str,
              on_step: OnStep | None, observers: list[Observer], flags: frozenset[str],
              on_reference_step: OnStep | None = None) -> EditResult:
        t0 = time.perf_counter()
        preset = settings.preset
        params = preset.mode(edit.mode)
        size = source.work_size
        z_T = source.bank.z_T.to(self.device, self.dtype)
        latent = (z_T.shape[-1], z_T.shape[-2])
        grid = (latent[0] * preset.feature_upscale, latent[1] * preset.feature_upscale)
        extra_invert = 0.0

        def invert_ref(img: np.ndarray, ref_prompt: str) -> Source:
            nonlocal extra_invert
            s = self._invert(img, ref_prompt, settings, self._channel(on_reference_step, observers))
            extra_invert += s.timings["invert"]
            return s

        ctx = EditContext(input_size=source.size, size=size, latent=latent, grid=grid, params=params, z_T=z_T,
                          invert=invert_ref, drag_window=preset.drag_window, device=self.device)
        plan = edit.plan(ctx)
        banks = {"base": source.bank, **{k: s.bank for k, s in plan.references.items()}}
        ref_bank = plan.references["reference"].bank if "reference" in plan.references else None
        if plan.bank_rule == "bgfg" and ref_bank is None:
            raise ValueError(f"mode {edit.mode!r} uses the bg+fg bank rule but has no reference image")
        trace = None
        if flags:
            trace = EditTrace(size=size, latent_size=latent, layers=list(settings.layers),
                              bank_layers=[n.removesuffix(".processor") for n in settings.bank_layers],
                              terms=[t.name for t in plan.terms], masks=plan.masks, points=plan.points, mode=edit.mode,
                              record=flags, original=source.work_image,
                              regions={t.name: t.region for t in plan.terms})
        previews = PreviewObserver(preset.preview_every, source.size) if on_step is not None else None
        channel = self._channel(on_step, observers, previews, TraceRecorder(trace) if trace is not None else None)
        control = BankControl(bank=source.bank, ref_bank=ref_bank, rule=plan.bank_rule, base_keep=plan.base_keep,
                                ref_keep=plan.ref_keep, latent_hw=(latent[1], latent[0]),
                                capture=_RenamingDict() if channel.needs("attention") else None)
        model = self._model(settings=settings)
        ip = ImagePrompt(self.pipe, plan.ip_image if plan.ip_image is not None else source.work_image,
                         params.ip_scale, preset.ip_window)
        cond = self.embed(prompt, size).with_image_prompt(ip)
        sampler = GuidedSampler(model=model, preset=preset, params=params, plan=plan, control=control,
                                cond=cond, banks=banks, grid=grid,
                                generator=torch.Generator().manual_seed(seed), observers=channel)
        t_edit = time.perf_counter()
        try:
            with installed(self.pipe.unet, list(settings.bank_layers), control):
                z0 = sampler.run(plan.z_T if params.latent_copy else z_T)
        finally:
            ip.restore()
        work = self.decode(z0)
        if trace is not None:
            trace.result = work
        image = Image.fromarray(work).resize(source.size, Image.LANCZOS) if source.size != size else Image.fromarray(work)
        now = time.perf_counter()
        timings = {"invert": source.timings.get("invert", source.timings.get("generate", 0.0)) + extra_invert,
                   "edit": now - t_edit, "prepare": t_edit - t0}
        timings["total"] = timings["invert"] + now - t0
        return EditResult(image=image, source=source, edit=edit, seed=seed, prompt=prompt, preset=preset,
                          model=model_id(self.pipe), trace=trace, timings=timings, work_image=work,
                          region=_changed_region(plan, size), points=list(plan.points))


def _changed_region(plan, size: tuple[int, int]) -> np.ndarray:
    """Bool (H, W) at the working ``size``: the plan's edit and SDE regions (latent cells), where it may change."""
    import torch.nn.functional as F

    both = ((plan.edit_region > 0) | (plan.sde_region > 0)).float()
    return (F.interpolate(both, size=(size[1], size[0]), mode="nearest")[0, 0] > 0).cpu().numpy()


class _RenamingDict(dict):
    """Capture dict that stores bank layers under their names without the '.processor' suffix."""

    def __setitem__(self, key, value):
        super().__setitem__(key.removesuffix(".processor"), value)
