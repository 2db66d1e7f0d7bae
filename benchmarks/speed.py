"""Speed benchmark: inversion time, edit time, peak memory, and the cost of an edit relative to plain
DDIM inversion + plain DDIM sampling of the same model, measured in one run.

    python benchmarks/speed.py                          # embedded model, CPU
    python benchmarks/speed.py --model sd15-random --device cuda --dtype float16   # SD-1.5-sized random weights, 512²
    python benchmarks/speed.py --model sdxl-random --device cuda --dtype float16   # SDXL-sized random weights, 1024²
    python benchmarks/speed.py --model sdxl-tiny-random --steps 10 --repeats 1     # the SDXL code path on the CPU

Prints one JSON line per measurement and a summary table (copy it to benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
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


def main(argv=None) -> int:
    import dragon_widgets as dw
    from dragon_widgets.cli import demo_scene

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help=f"None = embedded; one of {sorted(RANDOM_MODELS)} (random weights of "
                                                 f"that family and size); or a path/id")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    p.add_argument("--resolution", type=int, default=None, help="working resolution (default: the preset's; for the "
                                                                 "random models 512 (sd15), 1024 (sdxl), 128 (tiny))")
    p.add_argument("--steps", type=int, default=None, help="DDIM steps (default: the preset's 50; windows scaled)")
    p.add_argument("--modes", nargs="+", default=["move", "drag"])
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--threads", type=int, default=None)
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    t0 = time.perf_counter()
    if a.model in RANDOM_MODELS:
        _size, preset_name, side = RANDOM_MODELS[a.model]
        pipe = random_pipeline(a.model, dtype, a.device)
        preset = dw.get_preset(preset_name).replace(resolution=a.resolution or side,
                                                    bank_dtype="float16" if dtype == torch.float16 else None)
    else:
        pipe = dw.load_pipeline(a.model, device=a.device, dtype=dtype)
        preset = dw.DragonEditor(pipe).preset  # the family's
        if a.resolution:
            preset = preset.replace(resolution=a.resolution)
    if a.steps:
        preset = with_steps(preset, a.steps)
    editor = dw.DragonEditor(pipe, preset=preset)
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
    rows = []
    for r in range(a.repeats):
        if str(a.device).startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()  # the peak of inverting and editing, not of building the model
        src = editor.invert(img, prompt="")
        inv_s = src.timings["invert"]
        plain_inv, plain_gen = plain_ddim(editor, src.work_image, "", editor.preset.mode("move").guidance_scale)
        for mode in a.modes:
            sync(a.device)
            res = editor.edit(src, edits[mode], seed=0)
            sync(a.device)
            row = dict(repeat=r, mode=mode, invert_s=round(inv_s, 3), edit_s=round(res.timings["edit"], 3),
                       plain_invert_s=round(plain_inv, 3), plain_sample_s=round(plain_gen, 3),
                       ratio=round((inv_s + res.timings["edit"]) / (plain_inv + plain_gen), 2),
                       edit_ratio=round(res.timings["edit"] / plain_gen, 2),
                       bank_mb=round(src.bank.nbytes / 2**20, 1), peak_mb=round(peak_memory_mb(a.device), 1))
            rows.append(row)
            print(json.dumps(row), flush=True)
    dev = torch.cuda.get_device_name() if str(a.device).startswith("cuda") else f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
    work_w, work_h = src.work_size
    print(f"\n### {date.today()} — model {a.model or 'embedded'} ({editor.preset.name}, {work_w}×{work_h}, "
          f"{a.dtype}) on {dev}; load {load_s:.1f} s")
    print("| mode | inversion s | edit s | plain inversion s | plain sampling s | (inv+edit)/(plain inv+sample) | edit/plain sample | bank MiB | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mode in a.modes:
        rs = [r for r in rows if r["mode"] == mode]
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0] if k not in ("mode", "repeat")}
        print(f"| {mode} | {med['invert_s']:.2f} | {med['edit_s']:.2f} | {med['plain_invert_s']:.2f} | "
              f"{med['plain_sample_s']:.2f} | {med['ratio']:.2f} | {med['edit_ratio']:.2f} | {med['bank_mb']:.0f} | {med['peak_mb']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
