"""Train the embedded model on ShapesBench scenes (v-prediction, min-SNR weighting, EMA).

    python -m dragon_widgets.models.train --out runs/embedded --minutes 120 \
        --export dragon_widgets/models/embedded

Reproducible from ``--seed`` (each step's data comes from ``default_rng([seed, step])``) and
resumable: re-running with the same ``--out`` continues from ``checkpoint.pt``. Every checkpoint
also writes a sample grid, a jsonl log line with validation loss and inversion PSNR, and (with
``--export``) the EMA weights as a diffusers pipeline folder. Not run in CI.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from ..core.scenes import caption, render, sample_scene, to_uint8
from ..core.mixed_world import sample_mixed_scene
from ..core.world import sample_world_scene
from .build import ARCHITECTURES, IMAGE_SIZE, SCHEDULES, build_components, save_pipeline

#: Scene generators the trainer can draw from: "v1" (the first model's ShapesBench world), "train" (the broad
#: second world of :mod:`dragon_widgets.core.world`, which holds the shifted split out) and "mixed" (both, with
#: empty backgrounds and objects cut by the frame: :mod:`dragon_widgets.core.mixed_world`).
WORLDS = {"v1": lambda rng: sample_scene(rng), "train": lambda rng: sample_world_scene(rng, "train"),
          "mixed": lambda rng: sample_mixed_scene(rng)}
#: How a training image is anti-aliased: analytic coverage, 2× supersampling, or drawn at 2× and resized
#: by PIL (as a larger user image is resized to the working size), with these probabilities.
RENDERINGS = {"analytic": 0.35, "supersample": 0.35, "resized": 0.3}
_PIL_FILTERS = ("LANCZOS", "BICUBIC", "BILINEAR", "BOX")


def render_for_training(scene, rng: np.random.Generator, res: int = IMAGE_SIZE) -> np.ndarray:
    """``scene`` at ``res``² in [0, 1], anti-aliased one of the :data:`RENDERINGS` ways."""
    how = rng.choice(list(RENDERINGS), p=list(RENDERINGS.values()))
    if how == "analytic":
        return render(scene, res)[0]
    if how == "supersample":
        return render(scene, res, supersample=2)[0]
    from PIL import Image

    big = Image.fromarray(to_uint8(render(scene, 2 * res)[0]))
    filt = getattr(Image, str(rng.choice(_PIL_FILTERS)))
    return np.asarray(big.resize((res, res), filt), dtype=np.float32) / 255.0


def make_batch(seed: int, step: int, batch: int, drop: float, world: str = "v1") -> tuple[torch.Tensor, list[str]]:
    """Images in [-1, 1] (B, 3, H, W) and captions ("" with probability ``drop``) from ``world``."""
    rng = np.random.default_rng([seed, step])
    imgs, caps = [], []
    for _ in range(batch):
        scene = WORLDS[world](rng)
        imgs.append(render(scene, IMAGE_SIZE)[0] if world == "v1" else render_for_training(scene, rng))
        caps.append("" if rng.random() < drop else caption(scene))
    x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2) * 2 - 1
    return x, caps


def encode_text(tokenizer, text_encoder, caps: list[str]) -> torch.Tensor:
    ids = tokenizer(caps, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                    return_tensors="pt").input_ids
    return text_encoder(ids.to(text_encoder.device)).last_hidden_state


@torch.no_grad()
def inversion_psnr(comp: dict, n: int = 8, steps: int = 50, world: str = "v1") -> float:
    """Mean PSNR of DDIM inversion → reconstruction on ``n`` fixed held-out scenes (empty prompt)."""
    from diffusers import DDIMInverseScheduler, DDIMScheduler

    unet, te, tok, vae = comp["unet"], comp["text_encoder"], comp["tokenizer"], comp["vae"]
    fwd = DDIMScheduler.from_config(comp["scheduler"].config)
    inv = DDIMInverseScheduler.from_config(comp["scheduler"].config)
    fwd.set_timesteps(steps)
    inv.set_timesteps(steps)
    dev = unet.device
    rng = np.random.default_rng(10_000)
    x = torch.from_numpy(np.stack([render(WORLDS[world](rng), IMAGE_SIZE)[0] for _ in range(n)])).permute(0, 3, 1, 2) * 2 - 1
    x = x.to(dev)
    emb = encode_text(tok, te, [""] * n)
    z = vae.encode(x).latent_dist.mode()
    for t in inv.timesteps:
        z = inv.step(unet(z, t, encoder_hidden_states=emb).sample, t, z).prev_sample
    for t in fwd.timesteps:
        z = fwd.step(unet(z, t, encoder_hidden_states=emb).sample, t, z).prev_sample
    rec = vae.decode(z).sample.clamp(-1, 1)
    mse = ((rec - x) / 2).pow(2).flatten(1).mean(1)
    return float((10 * torch.log10(1 / mse.clamp_min(1e-10))).mean())


@torch.no_grad()
def sample_grid(comp: dict, path: Path, seed: int = 0, steps: int = 25, cfg: float = 3.0, world: str = "v1") -> None:
    """Samples with the stock diffusers pipeline as a PNG grid: the top row from captions, the bottom row
    unconditional (the empty prompt, which edits use)."""
    from .random_sd import as_pipeline

    pipe = as_pipeline(comp)
    rng = np.random.default_rng(20_000)
    caps = [caption(WORLDS[world](rng)) for _ in range(4)] + [""] * 4
    out = pipe(caps, num_inference_steps=steps, guidance_scale=cfg, height=IMAGE_SIZE, width=IMAGE_SIZE,
               generator=torch.Generator().manual_seed(seed), output_type="np").images
    grid = np.concatenate([np.concatenate(list(out[:4]), 1), np.concatenate(list(out[4:]), 1)], 0)
    from PIL import Image

    Image.fromarray(to_uint8(grid)).resize((grid.shape[1] * 3, grid.shape[0] * 3), Image.NEAREST).save(path)
    path.with_suffix(".txt").write_text("\n".join(caps) + "\n")


RESUME_PARTS = ("unet", "te", "ema_unet", "ema_te")


def write_resume_file(checkpoint: dict, path: str | Path, args: dict | None = None) -> None:
    """Write the weights of a trainer ``checkpoint`` (model and EMA, fp16, no optimiser state) to a small
    safetensors ``path`` that a later segment on another machine resumes from (``--resume-file``)."""
    from safetensors.torch import save_file

    tensors = {f"{part}.{k}": v.detach().to("cpu", torch.float16).contiguous()
               for part in RESUME_PARTS for k, v in checkpoint[part].items()}
    meta = dict(step=checkpoint["step"], elapsed=checkpoint["elapsed"], args=args or {})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"state": json.dumps(meta)})


def read_resume_file(path: str | Path) -> dict:
    """The weights (float32) and ``step``/``elapsed`` of a :func:`write_resume_file` file."""
    from safetensors import safe_open

    out: dict = {part: {} for part in RESUME_PARTS}
    with safe_open(str(path), framework="pt") as f:
        meta = json.loads(f.metadata()["state"])
        for key in f.keys():
            part, name = key.split(".", 1)
            out[part][name] = f.get_tensor(key).float()
    return dict(out, step=int(meta["step"]), elapsed=float(meta["elapsed"]), args=meta.get("args", {}))


class _Batches(torch.utils.data.IterableDataset):
    """``make_batch(seed, step, ...)`` for step, step+1, ...: the same data whatever the number of workers."""

    def __init__(self, first_step: int, **kw) -> None:
        self.first_step, self.kw = first_step, kw

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, n = (info.id, info.num_workers) if info else (0, 1)
        step = self.first_step + wid
        while True:
            yield make_batch(step=step, **self.kw)
            step += n


def batches(first_step: int, workers: int, **kw):
    """An iterator of training batches from ``first_step`` on; ``workers`` > 0 renders them in parallel
    processes (for a GPU, whose steps outrun one CPU core's scene rendering)."""
    if workers <= 0:
        return iter(_Batches(first_step, **kw))
    loader = torch.utils.data.DataLoader(_Batches(first_step, **kw), batch_size=None, num_workers=workers,
                                         prefetch_factor=4, persistent_workers=True)
    return iter(loader)


def anneal_factor(elapsed_s: float, budget_s: float, anneal_s: float, floor: float = 0.05) -> float:
    """Learning-rate factor: 1 until the last ``anneal_s`` seconds of the budget, then a cosine down to ``floor``."""
    if anneal_s <= 0:
        return 1.0
    progress = min(1.0, max(0.0, (elapsed_s - (budget_s - anneal_s)) / anneal_s))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="runs/embedded", help="run folder (checkpoint, log, samples)")
    p.add_argument("--export", default=None, help="write EMA weights here as a pipeline at each checkpoint")
    p.add_argument("--minutes", type=float, default=120, help="wall-clock budget of this segment")
    p.add_argument("--max-steps", type=int, default=40_000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=300)
    p.add_argument("--anneal-minutes", type=float, default=0.0,
                   help="over the last N minutes of this segment, cosine-decay the learning rate to 5%% "
                        "(0 = constant after warm-up); use it for the segment whose weights you ship")
    p.add_argument("--rewarm", action="store_true",
                   help="when resuming, restart the learning-rate warm-up (a new segment after an annealed one); "
                        "without it a resumed run continues exactly where the checkpoint left off")
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--caption-dropout", type=float, default=0.2)
    p.add_argument("--min-snr", type=float, default=5.0, help="min-SNR-gamma loss weighting (0 = off)")
    p.add_argument("--min-snr-floor", type=float, default=0.0,
                   help="smallest loss weight: min-SNR weighting of the v loss goes to 0 at the noisiest steps, so "
                        "without a floor the model barely learns the step that sampling starts from")
    p.add_argument("--schedule", choices=sorted(SCHEDULES), default="linear",
                   help="noise schedule of a new run (models.build.SCHEDULES); a resumed run keeps its checkpoint's")
    p.add_argument("--ckpt-every-min", type=float, default=10)
    p.add_argument("--eval", action=argparse.BooleanOptionalAction, default=True,
                   help="at each checkpoint, measure the inversion PSNR and write a sample grid")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=False,
                   help="bf16 autocast on CPU (only faster on CPUs with native bf16, e.g. AVX512-BF16/AMX)")
    p.add_argument("--arch", choices=sorted(ARCHITECTURES), default="v2", help="UNet layout (models.build)")
    p.add_argument("--world", choices=sorted(WORLDS), default="train", help="scene generator of the training data")
    p.add_argument("--device", default="cpu", help="cpu or cuda (cuda: bf16 autocast when --bf16)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=0, help="data-rendering worker processes (0 = in the training process)")
    p.add_argument("--resume-file", default=None,
                   help="small weights-only resume file (fp16 model + EMA, no optimiser state): with no checkpoint "
                        "in --out the run starts from it (re-warming the learning rate), and every checkpoint "
                        "rewrites it — commit it to carry a training run across machines")
    p.add_argument("--init-from", default=None,
                   help="with no checkpoint in --out: start from a shipped pipeline folder (its EMA weights and "
                        "training_state.json), e.g. dragon_widgets/models/embedded, to continue training in a new segment; "
                        "the UNet must have --arch's layout, the text encoder may come from an older caption vocabulary "
                        "(models.init_from)")
    a = p.parse_args(argv)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    comp = build_components(a.arch, a.schedule)
    dev = torch.device(a.device)
    comp["unet"].to(dev); comp["text_encoder"].to(dev)
    unet, te = comp["unet"], comp["text_encoder"]
    ema_unet, ema_te = copy.deepcopy(unet).requires_grad_(False), copy.deepcopy(te).requires_grad_(False)
    params = list(unet.parameters()) + list(te.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01)
    step, elapsed_before = 0, 0.0
    warm_from = 0  # the step the learning-rate warm-up started from
    ck = out / "checkpoint.pt"
    if ck.exists():
        s = torch.load(ck, weights_only=False, map_location=dev)
        unet.load_state_dict(s["unet"]); te.load_state_dict(s["te"])
        ema_unet.load_state_dict(s["ema_unet"]); ema_te.load_state_dict(s["ema_te"])
        for key in ("arch", "schedule"):
            if s.get(key, getattr(a, key)) != getattr(a, key):
                raise SystemExit(f"{ck} was trained with --{key} {s[key]}, not {getattr(a, key)}: resume with the "
                                 f"same value or start a new --out")
        opt.load_state_dict(s["opt"]); step, elapsed_before = s["step"], s["elapsed"]
        torch.set_rng_state(s["torch_rng"].cpu())
        warm_from = step if a.rewarm else int(s.get("warm_from", 0))
        print(json.dumps(dict(resumed=str(ck), step=step)), flush=True)
    elif a.resume_file and Path(a.resume_file).exists():
        r = read_resume_file(a.resume_file)
        for model, part in ((unet, "unet"), (te, "te"), (ema_unet, "ema_unet"), (ema_te, "ema_te")):
            model.load_state_dict({k: v.to(dev) for k, v in r[part].items()})
        step, elapsed_before = r["step"], r["elapsed"]
        warm_from = step
        print(json.dumps(dict(resumed_from_file=str(a.resume_file), step=step)), flush=True)
    elif a.init_from:
        from .init_from import init_from_pipeline

        state = init_from_pipeline(unet, te, comp["tokenizer"].get_vocab(), a.init_from)
        ema_unet.load_state_dict(unet.state_dict()); ema_te.load_state_dict(te.state_dict())
        step, elapsed_before = int(state.get("steps", 0)), float(state.get("minutes", 0)) * 60
        warm_from = step
        print(json.dumps(dict(initialised_from=str(a.init_from), step=step, text_rows=state["text_rows"])), flush=True)
    sched = comp["scheduler"]
    acp = sched.alphas_cumprod.to(dev)
    tok = comp["tokenizer"]
    log = (out / "log.jsonl").open("a")
    (out / "args.json").write_text(json.dumps(vars(a), indent=1))

    def save(tag: str) -> None:
        state = dict(unet=unet.state_dict(), te=te.state_dict(), ema_unet=ema_unet.state_dict(),
                     ema_te=ema_te.state_dict(), opt=opt.state_dict(), step=step, warm_from=warm_from,
                     arch=a.arch, schedule=a.schedule,
                     elapsed=elapsed_before + time.perf_counter() - start, torch_rng=torch.get_rng_state())
        torch.save(state, out / "checkpoint.tmp")
        (out / "checkpoint.tmp").replace(ck)
        if a.resume_file:
            write_resume_file(state, a.resume_file, dict(arch=a.arch, world=a.world, seed=a.seed, batch=a.batch))
        ema_comp = dict(comp, unet=ema_unet.eval(), text_encoder=ema_te.eval())
        psnr = None  # not measured with --no-eval (null in the JSON)
        if a.eval:
            psnr = round(inversion_psnr(ema_comp, world=a.world), 2)
            sample_grid(ema_comp, out / f"samples_{step:06d}.png", world=a.world)
        minutes = round((elapsed_before + time.perf_counter() - start) / 60, 1)
        if a.export:
            save_pipeline(a.export, ema_comp, fp16=True)
            (Path(a.export) / "training_state.json").write_text(json.dumps(dict(
                steps=step, minutes=minutes, inversion_psnr=psnr, seed=a.seed, batch=a.batch, lr=a.lr)))
        rec = dict(ckpt=tag, step=step, minutes=minutes, inversion_psnr=psnr)
        print(json.dumps(rec), flush=True)
        log.write(json.dumps(rec) + "\n"); log.flush()

    start = time.perf_counter()
    next_ck = a.ckpt_every_min * 60
    losses: list[float] = []
    unet.train(); te.train()
    data = batches(step, a.workers, seed=a.seed, batch=a.batch, drop=a.caption_dropout, world=a.world)
    while step < a.max_steps and time.perf_counter() - start < a.minutes * 60:
        x0, caps = next(data)
        z0 = (comp["vae"].encode(x0).latent_dist.mode() * comp["vae"].config.scaling_factor).to(dev)
        noise = torch.randn(z0.shape).to(dev)  # drawn on the CPU generator: same data on every device
        t = torch.randint(0, sched.config.num_train_timesteps, (a.batch,)).to(dev)
        zt = sched.add_noise(z0, noise, t)
        target = sched.get_velocity(z0, noise, t)
        snr = acp[t] / (1 - acp[t])
        w = (snr.clamp(max=a.min_snr) / (snr + 1)).clamp_min(a.min_snr_floor) if a.min_snr > 0 else torch.ones_like(snr)
        lr = a.lr * min(1.0, (step - warm_from + 1) / a.warmup) * anneal_factor(
            time.perf_counter() - start, a.minutes * 60, a.anneal_minutes * 60)
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=a.bf16):
            emb = encode_text(tok, te, caps)
            pred = unet(zt, t, encoder_hidden_states=emb).sample
        loss = (w * (pred.float() - target).pow(2).flatten(1).mean(1)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        d = min(a.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for em, m in ((ema_unet, unet), (ema_te, te)):
                for pe, pm in zip(em.parameters(), m.parameters()):
                    pe.lerp_(pm, 1 - d)
        losses.append(loss.item())
        step += 1
        if step % 50 == 0:
            el = time.perf_counter() - start
            rec = dict(step=step, loss=round(float(np.mean(losses[-50:])), 5), lr=lr,
                       s_per_step=round(el / max(1, len(losses)), 3))
            print(json.dumps(rec), flush=True)
            log.write(json.dumps(rec) + "\n"); log.flush()
        if time.perf_counter() - start > next_ck:
            save(f"{step}")
            next_ck += a.ckpt_every_min * 60
    save(f"{step}-final")


if __name__ == "__main__":
    main()
