"""Speed benchmark: what an edit costs in seconds and, measured in the same run, in UNet-forward equivalents,
for the first edit of a new image (inversion + move), a repeated edit of the same image (the inversion comes from
the editor's inversion cache) and the other modes, with the latency of the first x̂₀ preview.

    python benchmarks/speed.py                          # embedded model, CPU, torch's thread count chosen per run
    python benchmarks/speed.py --threads 2 --repeats 3  # at most 2 threads
    python benchmarks/speed.py --busy 1                 # with one core kept busy by another process
    python benchmarks/speed.py --trials                 # also time bf16 autocast / channels_last (--compile too)
    python benchmarks/speed.py --model sd15-random --device cuda --dtype float16   # SD-1.5-sized random weights, 512²
    python benchmarks/speed.py --model sdxl-random --device cuda --dtype float16   # SDXL-sized random weights, 1024²
    python benchmarks/speed.py --model sdxl-tiny-random --steps 10 --repeats 1     # the SDXL code path on the CPU

A *UNet-forward equivalent* is one UNet forward at batch 2 (the CFG batch) without gradients at the working size.
Two figures use it: **counted** equivalents count the run's UNet calls by kind (full forwards at batch 1 or 2,
feature passes that stop at the last guidance layer, and those with gradients plus their backward pass) and weigh
each kind by its cost relative to the unit, timed interleaved once per thread count; a busy machine does not change
this figure (it leaves out the work outside the UNet: VAE decoding of previews, energies). **Timed** equivalents
divide the run's seconds by the unit's time measured right before and right after the run (their geometric mean).

Prints one JSON line per measurement and a summary table (copy it to benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import date

import numpy as np
import torch


#: --model name → (random_sd size, preset, default working resolution): random weights of a family's real classes
RANDOM_MODELS = {
    "sd15-random": ("sd15", "sd15", 512),  # SD-1.5's sizes (860 M UNet parameters)
    "sdxl-random": ("sdxl", "sdxl", 1024),  # SDXL base's sizes (2.57 B UNet parameters), built on the meta device
    "tiny-random": ("tiny", "sd15", 128),  # small SD layout: the SD code path on the CPU
    "sdxl-tiny-random": ("sdxl-tiny", "sdxl", 128),  # small SDXL layout: the SDXL code path on the CPU
}
#: Batch-2 forwards timed for one unit (their median).
UNIT_REPEATS = 7


def random_pipeline(name: str, dtype, device):
    """A pipeline of the family's real classes with random weights, on ``device`` in ``dtype``."""
    from dragon_widgets.models.random_sd import META_SIZES, materialize, random_sd_pipeline

    size = RANDOM_MODELS[name][0]
    pipe = random_sd_pipeline(size)
    if size in META_SIZES:  # built without storage: random weights straight on the device
        return materialize(pipe, device, dtype)
    return pipe.to(device, dtype)


def with_steps(preset, steps: int):
    """``preset`` on ``steps`` DDIM steps, its step windows scaled from its own step count (quick CPU runs)."""
    k = steps / preset.num_steps

    def s(i):
        return int(round(i * k))

    tt = tuple(sorted({s(i) for i in preset.time_travel_steps if s(i) < steps - 1}))
    return preset.replace(num_steps=steps, guided_until=s(preset.guided_until), dense_until=s(preset.dense_until),
                          time_travel_steps=tt, sde_window=tuple(map(s, preset.sde_window)),
                          ip_window=tuple(map(s, preset.ip_window)))


def peak_memory_mb(device) -> float:
    if str(device).startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


class UNetCalls:
    """Counts the UNet's calls by kind: full forwards at batch 1 (``full1``) and batch 2 (``full2``), and the
    feature passes that stop at the last guidance layer, without gradients (``features``: the inverted latent's)
    and with them (``guidance``: each with a backward pass). A pre-hook sees every call, a forward hook only the
    full ones."""

    KINDS = ("full1", "full2", "features", "guidance")

    def __init__(self, unet):
        self.counts = dict.fromkeys(self.KINDS, 0)
        self._open: list[tuple[int, bool]] = []
        self._hooks = [unet.register_forward_pre_hook(self._pre), unet.register_forward_hook(self._post)]

    def _pre(self, _module, args):
        rows = int(args[0].shape[0]) if args and hasattr(args[0], "shape") else 1
        self._open.append((rows, torch.is_grad_enabled()))
        # counted as a feature pass until its forward hook says it ran to the end
        self.counts["guidance" if torch.is_grad_enabled() else "features"] += 1

    def _post(self, _module, _args, _out):
        rows, grad = self._open.pop()
        self.counts["guidance" if grad else "features"] -= 1
        self.counts["full2" if rows >= 2 else "full1"] += 1

    @property
    def calls(self) -> int:
        return sum(self.counts.values())

    def snapshot(self) -> dict:
        return dict(self.counts)

    def remove(self) -> None:
        for h in self._hooks:
            h.remove()


def call_weights(editor, latent: torch.Tensor, threads: int | None = None, rounds: int = 5) -> dict:
    """The cost of each kind of UNet call relative to a batch-2 forward, timed interleaved (median ratio per
    round), at ``threads`` threads: what turns counted calls into UNet-forward equivalents."""
    before = torch.get_num_threads()
    if threads and not str(editor.device).startswith("cuda"):
        torch.set_num_threads(threads)
    try:
        h, w = latent.shape[-2:]
        cond = editor.embed("", (w * editor.vae_factor, h * editor.vae_factor))
        model = editor._model(settings=editor.settings())
        z = latent.to(editor.device, editor.dtype)
        t = int(editor.pipe.scheduler.config.num_train_timesteps) // 2
        unet = editor.pipe.unet

        def full(n):
            with torch.no_grad():
                unet(torch.cat([z] * n), t, **cond.unet_kwargs(n))

        def features():
            with torch.no_grad():
                model.features(z, t, cond)

        def guidance():
            zc = z.detach().float().requires_grad_(True)
            sum(f.float().square().mean() for f in model.features(zc, t, cond)).backward()

        kinds = {"full2": lambda: full(2), "full1": lambda: full(1), "features": features, "guidance": guidance}
        for fn in kinds.values():
            fn()  # warm-up
        ratios: dict = {k: [] for k in kinds}
        for _ in range(rounds):
            secs = {}
            for k, fn in kinds.items():
                sync(editor.device)
                t0 = time.perf_counter()
                fn()
                sync(editor.device)
                secs[k] = time.perf_counter() - t0
            for k in kinds:
                ratios[k].append(secs[k] / secs["full2"])
        return {k: round(statistics.median(v), 3) for k, v in ratios.items()}
    finally:
        torch.set_num_threads(before)


def counted_equivalents(counts: dict, weights: dict) -> float:
    return sum(n * weights[k] for k, n in counts.items())


@torch.no_grad()
def unit_seconds(editor, latent: torch.Tensor, threads: int | None = None) -> float:
    """Median seconds of one batch-2 UNet forward (no gradients) at ``latent``'s size with ``threads`` threads."""
    before = torch.get_num_threads()
    if threads and not str(editor.device).startswith("cuda"):
        torch.set_num_threads(threads)
    try:
        h, w = latent.shape[-2:]
        cond = editor.embed("", (w * editor.vae_factor, h * editor.vae_factor)).unet_kwargs(2)
        z = torch.cat([latent, latent]).to(editor.device, editor.dtype)
        t = int(editor.pipe.scheduler.config.num_train_timesteps) // 2
        editor.pipe.unet(z, t, **cond)  # warm-up
        times = []
        for _ in range(UNIT_REPEATS):
            sync(editor.device)
            t0 = time.perf_counter()
            editor.pipe.unet(z, t, **cond)
            sync(editor.device)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)
    finally:
        torch.set_num_threads(before)


@torch.no_grad()
def plain_ddim(editor, image: np.ndarray, prompt: str, guidance: float) -> tuple[float, float]:
    """(seconds for plain DDIM inversion, seconds for plain CFG DDIM sampling) with diffusers' schedulers."""
    from diffusers import DDIMInverseScheduler, DDIMScheduler

    pipe, steps, dev = editor.pipe, editor.preset.num_steps, editor.device
    inv = DDIMInverseScheduler.from_config(pipe.scheduler.config)
    fwd = DDIMScheduler.from_config(pipe.scheduler.config)
    inv.set_timesteps(steps)
    fwd.set_timesteps(steps)
    cond = editor.embed(prompt, (image.shape[1], image.shape[0]))  # the family's conditioning (SDXL: + pooled, time ids)
    one, two = cond.unet_kwargs(1), cond.unet_kwargs(2)
    z = editor.encode(image)
    sync(dev)
    t0 = time.perf_counter()
    for t in inv.timesteps:
        z = inv.step(pipe.unet(z, t, **one).sample, t, z).prev_sample
    sync(dev)
    t1 = time.perf_counter()
    for t in fwd.timesteps:
        u, c = pipe.unet(torch.cat([z, z]), t, **two).sample.chunk(2)
        z = fwd.step(u + guidance * (c - u), t, z).prev_sample
    editor.decode(z)
    sync(dev)
    return t1 - t0, time.perf_counter() - t1


def timed_edit(editor, image, edit, device) -> dict:
    """Invert (or reuse) ``image`` and run ``edit`` as the editor app does (previews on): seconds, the first
    preview's latency from the start of the edit, UNet calls, the thread count."""
    calls = UNetCalls(editor.pipe.unet)
    first: list[float] = []
    at_preview: dict = {}
    try:
        sync(device)
        t0 = time.perf_counter()
        src = editor.invert(image, prompt="")
        sync(device)
        t1 = time.perf_counter()
        at_edit = calls.snapshot()

        def on_step(_step, _total, preview):
            if preview is not None and not first:
                first.append(time.perf_counter())
                at_preview.update({k: n - at_edit[k] for k, n in calls.snapshot().items()})

        res = editor.edit(src, edit, seed=0, on_step=on_step)
        sync(device)
        t2 = time.perf_counter()
    finally:
        calls.remove()
    return dict(invert_s=t1 - t0, edit_s=t2 - t1, total_s=t2 - t0, reused=src.reused,
                first_preview_s=(first[0] - t1) if first else None, calls=calls.snapshot(),
                preview_calls=at_preview or None, threads=editor.threads_used, source=src, result=res)


def trials(editor, latent: torch.Tensor, compile_too: bool) -> list[dict]:
    """One guided step's UNet work (a batch-2 forward without gradients + a batch-1 forward and backward) in
    float32, bf16 autocast and channels_last (and torch.compile): seconds per step and the output's deviation."""
    unet = editor.pipe.unet
    h, w = latent.shape[-2:]
    size = (w * editor.vae_factor, h * editor.vae_factor)
    two, one = editor.embed("", size).unet_kwargs(2), editor.embed("", size).unet_kwargs(1)
    t = int(editor.pipe.scheduler.config.num_train_timesteps) // 2
    z = latent.to(editor.device, editor.dtype)

    def step(model, autocast: bool):
        ctx = torch.autocast(z.device.type, dtype=torch.bfloat16) if autocast else torch.autocast(z.device.type,
                                                                                                   enabled=False)
        with ctx:
            with torch.no_grad():
                out = model(torch.cat([z, z]), t, **two).sample
            zc = z.detach().requires_grad_(True)
            model(zc, t, **one).sample.float().square().mean().backward()
        return out.float()

    def timed(model, autocast: bool, reps: int = 5) -> tuple[float, torch.Tensor, float]:
        t0 = time.perf_counter()
        out = step(model, autocast)  # warm-up (torch.compile compiles here)
        first = time.perf_counter() - t0
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            step(model, autocast)
            times.append(time.perf_counter() - t0)
        return statistics.median(times), out, first

    base_s, base_out, _ = timed(unet, False)
    rows = [dict(variant="float32", step_s=base_s, speedup=1.0, max_rel_dev=0.0)]

    def add(name, model, autocast, restore=None):
        try:
            s, out, first = timed(model, autocast)
            dev = float((out - base_out).abs().max() / base_out.abs().max())
            rows.append(dict(variant=name, step_s=s, speedup=base_s / s, max_rel_dev=dev, first_call_s=first))
        except Exception as exc:  # a variant this build cannot run is a result too
            rows.append(dict(variant=name, error=f"{type(exc).__name__}: {exc}"))
        finally:
            if restore:
                restore()

    add("bf16 autocast", unet, True)
    unet.to(memory_format=torch.channels_last)
    add("channels_last", unet, False, restore=lambda: unet.to(memory_format=torch.contiguous_format))
    if compile_too:
        add("torch.compile", torch.compile(unet), False)
    return rows


def busy_processes(n: int) -> list[subprocess.Popen]:
    """``n`` processes that each keep one core busy (the 'shared machine' case)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def main(argv=None) -> int:
    import dragon_widgets as dw
    from dragon_widgets.cli import demo_scene
    from dragon_widgets.engine.threads import CHOOSER

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help=f"None = embedded; one of {sorted(RANDOM_MODELS)} (random weights of "
                                                 f"that family and size); or a path/id")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    p.add_argument("--resolution", type=int, default=None, help="working resolution (default: the preset's; for the "
                                                                 "random models 512 (sd15), 1024 (sdxl), 128 (tiny))")
    p.add_argument("--steps", type=int, default=None, help="DDIM steps (default: the preset's 50; windows scaled)")
    p.add_argument("--preset", default=None, help="a preset name (default: the model family's)")
    p.add_argument("--modes", nargs="+", default=["move", "drag"], help="the first is the first edit's mode")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=None, help="torch's thread count: the most a run may use")
    p.add_argument("--editor-threads", default="auto", help="the editor's threads: auto (from the free cores), a "
                                                             "number, or none (torch's count as it is)")
    p.add_argument("--busy", type=int, default=0, help="keep this many cores busy with other processes meanwhile")
    p.add_argument("--plain", action="store_true", help="also time plain DDIM inversion + CFG sampling")
    p.add_argument("--trials", action="store_true", help="also time bf16 autocast and channels_last on one step")
    p.add_argument("--compile", action="store_true", help="with --trials: torch.compile too (minutes to compile)")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    editor_threads = None if a.editor_threads == "none" else (
        "auto" if a.editor_threads == "auto" else int(a.editor_threads))
    dtype = getattr(torch, a.dtype)
    t0 = time.perf_counter()
    if a.model in RANDOM_MODELS:
        _size, preset_name, side = RANDOM_MODELS[a.model]
        pipe = random_pipeline(a.model, dtype, a.device)
        preset = dw.get_preset(a.preset or preset_name).replace(
            resolution=a.resolution or side, bank_dtype="float16" if dtype == torch.float16 else None)
    else:
        pipe = dw.load_pipeline(a.model, device=a.device, dtype=dtype)
        preset = dw.get_preset(a.preset) if a.preset else dw.DragonEditor(pipe).preset  # the family's
        if a.resolution:
            preset = preset.replace(resolution=a.resolution)
    if a.steps:
        preset = with_steps(preset, a.steps)
    editor = dw.DragonEditor(pipe, preset=preset, threads=editor_threads)
    load_s = time.perf_counter() - t0
    img, mask, offset, _ = demo_scene(3)
    side = editor.preset.resolution
    if img.shape[0] != side:  # scale the demo scene up for big models
        from PIL import Image

        k = side / img.shape[0]
        img = np.asarray(Image.fromarray(img).resize((side, side), Image.BICUBIC))
        mask = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize((side, side), Image.NEAREST)) > 127
        offset = (offset[0] * k, offset[1] * k)
    ys, xs = np.nonzero(mask)
    cx, cy = float(xs.mean()), float(ys.mean())
    edits = {"move": dw.Move(mask=mask, offset=offset),
             "drag": dw.Drag(points=[((cx, cy), (cx + offset[0] / 2, cy + offset[1] / 2))], mask=None),
             "appearance": dw.ReplaceAppearance(mask=mask, reference=img, reference_mask=mask),
             "paste": dw.Paste(reference=img, reference_mask=mask, offset=offset)}
    w, h = editor.working_size((img.shape[1], img.shape[0]))
    latent = torch.randn((1, pipe.unet.config.in_channels, h // editor.vae_factor, w // editor.vae_factor),
                         generator=torch.Generator().manual_seed(0))
    loads = [load_average()]
    busy = busy_processes(a.busy)
    rows = []
    weights: dict = {}
    try:
        for r in range(a.repeats):
            if str(a.device).startswith("cuda"):
                torch.cuda.reset_peak_memory_stats()  # the peak of inverting and editing, not of building the model
            editor.inversions.clear()  # a new image: the first edit inverts it
            runs = [("first edit (invert + " + a.modes[0] + ")", a.modes[0])]
            runs += [(f"repeated {m} (inversion reused)", m) for m in a.modes]
            for label, mode in runs:
                guess = editor.threads_used or torch.get_num_threads()
                before = unit_seconds(editor, latent, guess)
                m = timed_edit(editor, img, edits[mode], a.device)
                src = m.pop("source")
                m.pop("result")
                after = unit_seconds(editor, latent, m["threads"])
                unit = (before * after) ** 0.5 if guess == m["threads"] else after
                if m["threads"] not in weights:
                    weights[m["threads"]] = call_weights(editor, latent, m["threads"])
                    print(json.dumps(dict(call_weights=weights[m["threads"]], threads=m["threads"])), flush=True)
                wt = weights[m["threads"]]
                row = dict(repeat=r, run=label, mode=mode, **{k: (round(v, 3) if isinstance(v, float) else v)
                                                              for k, v in m.items()},
                           unit_ms=round(unit * 1000, 2), equivalents=round(m["total_s"] / unit, 1),
                           counted=round(counted_equivalents(m["calls"], wt), 1),
                           preview_counted=(round(counted_equivalents(m["preview_calls"], wt), 1)
                                            if m["preview_calls"] else None),
                           preview_equivalents=(round(m["first_preview_s"] / unit, 1)
                                                if m["first_preview_s"] is not None else None),
                           load=load_average(), chooser=CHOOSER.last_choice if editor_threads == "auto" else None,
                           bank_mb=round(src.bank.nbytes / 2**20, 1), peak_mb=round(peak_memory_mb(a.device), 1))
                rows.append(row)
                print(json.dumps(row, default=str), flush=True)
            if a.plain:
                plain_inv, plain_gen = plain_ddim(editor, src.work_image, "", editor.preset.mode("move").guidance_scale)
                print(json.dumps(dict(repeat=r, plain_invert_s=round(plain_inv, 3),
                                      plain_sample_s=round(plain_gen, 3))), flush=True)
            loads.append(load_average())
        trial_rows = trials(editor, src.bank.z_T, a.compile) if a.trials else []
        for t in trial_rows:
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in t.items()}), flush=True)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    if str(a.device).startswith("cuda"):
        dev = torch.cuda.get_device_name()
    else:
        dev = (f"{platform.processor() or platform.machine()} CPU, {len(os.sched_getaffinity(0))} usable cores, "
               f"torch {torch.get_num_threads()} threads at most")
    work_w, work_h = src.work_size
    print(f"\n### {date.today()}: model {a.model or 'embedded'} ({editor.preset.name}, {work_w}×{work_h}, "
          f"{a.dtype}) on {dev}; load {load_s:.1f} s; load average {', '.join(str(v) for v in loads)}"
          f"{f'; {a.busy} cores kept busy' if a.busy else ''}; editor threads {a.editor_threads}")
    print("| run | UNet-forward equivalents, counted | timed | seconds | first preview: equivalents counted, s | "
          "UNet calls: full / feature passes / with gradients | threads | unit ms |")
    print("|---|---|---|---|---|---|---|---|")
    for label in dict.fromkeys(r["run"] for r in rows):
        rs = [r for r in rows if r["run"] == label]

        def med(k):
            vals = [r[k] for r in rs if r[k] is not None]
            return statistics.median(vals) if vals else float("nan")

        c = rs[0]["calls"]
        print(f"| {label} | {med('counted'):.0f} | {med('equivalents'):.0f} | {med('total_s'):.2f} | "
              f"{med('preview_counted'):.1f}, {med('first_preview_s'):.2f} | {c['full1'] + c['full2']} / "
              f"{c['features']} / {c['guidance']} | {'/'.join(str(r['threads']) for r in rs)} | "
              f"{med('unit_ms'):.1f} |")
    for n, wt in weights.items():
        print(f"\nCall costs at {n} thread(s), relative to a batch-2 forward: {wt}")
    if trial_rows:
        print("\n| variant (one guided step's UNet work) | s per step | speed-up | max relative deviation | first call s |")
        print("|---|---|---|---|---|")
        for t in trial_rows:
            if "error" in t:
                print(f"| {t['variant']} | failed: {t['error']} | | | |")
            else:
                print(f"| {t['variant']} | {t['step_s']:.3f} | {t['speedup']:.2f}× | {t['max_rel_dev']:.2g} | "
                      f"{t.get('first_call_s', float('nan')):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
