"""The embedded model's card (``README.md`` next to the weights) and loss curve, built from a training run's artefacts.

    python -m dragon_widgets.models.model_card --run runs/embedded_v2 --model runs/embedded_v2/export \\
        --hardware "2-core AMD EPYC, 1 thread" [--out dragon_widgets/models/embedded] [--notes notes.md]

Reads the run folder's ``log.jsonl`` (loss every 50 steps; one row per checkpoint, ``"<step>-final"`` at the end of
each segment), ``args.json`` (the last segment's arguments) and the model folder's ``training_state.json`` and
component configs, and writes ``README.md`` and ``loss_curve.png`` to ``--out`` (default: the model folder), with
the run's sample grid of the exported step (``samples_<step>.png`` and its captions) as ``samples.png``/``.txt``. The
card gives the data generator, the steps, the loss curve, the hardware and the command; ``--curve`` adds the learning
curve that ``benchmarks/curve_point.py`` scores (``learning_curve.png`` and a table). ``--notes`` adds a Markdown file (status, metrics) under its own heading; regenerate the card when
training ends.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

LOSS_PNG = "loss_curve.png"
CURVE_PNG = "learning_curve.png"
SAMPLES_PNG, SAMPLES_TXT = "samples.png", "samples.txt"


@dataclass
class RunLog:
    """A training log: loss rows (step, loss, lr, s/step) and checkpoint rows (step, minutes, inversion PSNR)."""

    losses: list[dict] = field(default_factory=list)
    checkpoints: list[dict] = field(default_factory=list)

    @property
    def segments(self) -> list[tuple[int, int, float]]:
        """(first step, last step, minutes at its end) per segment; a segment ends at a ``"-final"`` checkpoint
        (the last one may still be running: it ends at the last checkpoint)."""
        out, start = [], 0
        for c in self.checkpoints:
            if str(c.get("ckpt", "")).endswith("-final"):
                out.append((start, int(c["step"]), float(c["minutes"])))
                start = int(c["step"])
        if self.checkpoints and not str(self.checkpoints[-1].get("ckpt", "")).endswith("-final"):
            c = self.checkpoints[-1]
            out.append((start, int(c["step"]), float(c["minutes"])))
        return out


def read_log(path: str | Path, until: int | None = None) -> RunLog:
    """Parse ``log.jsonl`` up to step ``until`` (the exported weights' step; None: all of it). A line that is not a
    JSON object (a run killed mid-write) is skipped; a checkpoint logged twice at one step (the periodic one and the
    segment's ``-final`` one) is kept once, as the later row."""
    log = RunLog()
    for line in Path(path).read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(row, dict) or "step" not in row or (until is not None and row["step"] > until):
            continue
        if "ckpt" in row:
            if log.checkpoints and log.checkpoints[-1]["step"] == row["step"]:
                log.checkpoints.pop()
            log.checkpoints.append(row)
        elif "loss" in row:
            log.losses.append(row)
    if not log.losses:
        raise ValueError(f"log {str(path)!r} has no loss rows (lines with 'step' and 'loss'); is it a training log?")
    return log


def plot_loss(log: RunLog, path: str | Path) -> Path:
    """The loss curve (log scale; segment ends marked) and the checkpoints' inversion PSNR, as a PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 3.0), layout="constrained")
    ax = fig.add_subplot(1, 2, 1)
    ax.plot([r["step"] for r in log.losses], [r["loss"] for r in log.losses], lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (mean of 50 steps)")
    for _, end, _ in log.segments[:-1]:
        ax.axvline(end, color="0.7", lw=0.8, ls="--")
    ax.set_title("loss (dashed: end of a segment)", fontsize=9)
    ax = fig.add_subplot(1, 2, 2)
    pts = [(c["step"], c["inversion_psnr"]) for c in log.checkpoints if c.get("inversion_psnr") is not None]
    if pts:
        ax.plot(*zip(*pts), "o-", ms=3)
    ax.set_xlabel("step")
    ax.set_ylabel("dB")
    ax.set_title("plain DDIM inversion PSNR at checkpoints", fontsize=9)
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path


def train_command(args: dict) -> str:
    """``python -m dragon_widgets.models.train`` with the arguments of ``args.json`` (flags as the parser names
    them: ``--no-eval``, ``--rewarm``; unset values left out)."""
    parts = ["python -m dragon_widgets.models.train"]
    for key, value in args.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False and key not in ("eval", "bf16"):
            continue
        if isinstance(value, bool):
            parts.append(flag if value else f"--no-{key.replace('_', '-')}")
        else:
            parts.append(f"{flag} {value}")
    return " \\\n    ".join(" ".join(parts[i:i + 4]) for i in range(0, len(parts), 4))


def _unet_summary(model: Path) -> str:
    cfg = json.loads((model / "unet" / "config.json").read_text())
    from .build import ARCHITECTURES

    arch = next((name for name, a in ARCHITECTURES.items()
                 if tuple(cfg.get("up_block_types", ())) == tuple(a["up_block_types"])
                 and tuple(cfg.get("down_block_types", ())) == tuple(a["down_block_types"])), None)
    short = lambda blocks: ", ".join(b.replace("Block2D", "") for b in blocks)  # noqa: E731
    return (f"`UNet2DConditionModel`{f' (`models.build` architecture {arch!r})' if arch else ''}: down ("
            f"{short(cfg['down_block_types'])}), up ({short(cfg['up_block_types'])}); channels "
            f"{tuple(cfg['block_out_channels'])}, {cfg['layers_per_block']} layer per block, cross-attention dim "
            f"{cfg['cross_attention_dim']}")


def _size_mb(model: Path) -> float:
    return sum(f.stat().st_size for f in model.rglob("*") if f.is_file()) / 2**20


def _fmt(x, fmt: str) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


WORLD_TEXT = {
    "train": "`dragon_widgets.bench.world.sample_world_scene(rng, \"train\")`: gradients at any angle and contrast "
             "(dark and light), stripes at any angle and frequency, value noise at several scales; 1–4 objects "
             "(circle, square, triangle, diamond) of any saturated or pale colour, occasionally overlapping; "
             "anti-aliased by analytic coverage, 2× supersampling, or drawing at 128 px and resizing. The ranges "
             "of ShapesBench's `shifted` split (`world.HELD_OUT`) are never drawn. Every step draws fresh scenes "
             "from `default_rng([seed, step])`.",
    "v1": "`dragon_widgets.core.scenes.sample_scene`: 1–3 flat-coloured shapes of 8 named colours on smooth "
          "two-colour gradients, optionally striped or mottled.",
    "mixed": "`dragon_widgets.core.mixed_world.sample_mixed_scene`: 15 % empty backgrounds (no object, so that "
             "\"only background here\" is a likely picture); otherwise 45 % scenes of the first world (1–3 shapes of "
             "8 named colours, 16–32 % of the side, tinted gradients, soft stripes) and 55 % of the broad world "
             "(any hue outside the held-out bands, pale and dark shapes, noise textures, overlaps, rotations); in "
             "20 % of the scenes with objects one object is cut by the frame (20–60 % of it outside). The ranges of "
             "ShapesBench's `shifted` split are never drawn.",
}

#: Curve columns: (label, how to read it from a row of ``benchmarks/curve_point.py``).
CURVE_KINDS = ("move", "resize", "paste", "appearance", "drag", "drag-far")


def read_curve(path: str | Path) -> list[dict]:
    """The learning-curve rows written by ``benchmarks/curve_point.py`` (a JSON list), in CPU-hour order."""
    rows = json.loads(Path(path).read_text())
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "cpu_hours" in r for r in rows):
        raise ValueError(f"curve {str(path)!r} must be a JSON list of rows with 'cpu_hours' "
                         f"(benchmarks/curve_point.py writes it)")
    return sorted(rows, key=lambda r: r["cpu_hours"])


def plot_curve(rows: list[dict], path: str | Path) -> Path:
    """Success per edit kind, invented-object share and the round trip's minimum PSNR against training CPU-hours."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.0), layout="constrained")
    x = [r["cpu_hours"] for r in rows]
    ax = fig.add_subplot(1, 3, 1)
    for kind in CURVE_KINDS:
        ys = [r["kinds"].get(kind, {}).get("success") for r in rows]
        if any(y is not None for y in ys):
            ax.plot(x, [float("nan") if y is None else y for y in ys], "o-", ms=3, label=kind)
    ax.set(xlabel="training CPU-hours", ylabel="success (tuning)", ylim=(-0.02, 1.02))
    ax.legend(fontsize=7)
    ax.set_title("edit success per kind", fontsize=9)
    ax = fig.add_subplot(1, 3, 2)
    ax.plot(x, [100 * r["invented_rate"] for r in rows], "o-", ms=3, color="C3")
    ax.set(xlabel="training CPU-hours", ylabel="%", ylim=(0, 100))
    ax.set_title("edits with an invented object", fontsize=9)
    ax = fig.add_subplot(1, 3, 3)
    for name, style in (("scenes", "o-"), ("backgrounds", "s--")):
        ys = [r.get("roundtrip", {}).get(name, {}).get("min") for r in rows]
        ax.plot(x, [float("nan") if y is None else y for y in ys], style, ms=3, label=name)
    ax.axhline(35, color="0.6", lw=0.8, ls=":")
    ax.set(xlabel="training CPU-hours", ylabel="dB")
    ax.legend(fontsize=7)
    ax.set_title("round trip: minimum PSNR (target 35 dB)", fontsize=9)
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path


def curve_table(rows: list[dict]) -> list[str]:
    """The curve as Markdown table lines."""
    head = ["CPU-h", "step", *CURVE_KINDS, "invented %", "round trip min dB (scenes / backgrounds)", "captions"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        rt = r.get("roundtrip", {})
        cells = [f"{r['cpu_hours']:.1f}", f"{r.get('step') or 0:,}",
                 *[_fmt(r["kinds"].get(k, {}).get("success"), ".2f") for k in CURVE_KINDS],
                 f"{100 * r['invented_rate']:.0f}",
                 f"{_fmt(rt.get('scenes', {}).get('min'), '.1f')} / {_fmt(rt.get('backgrounds', {}).get('min'), '.1f')}",
                 _fmt(r.get("captions_complete"), ".0%")]
        out.append("| " + " | ".join(cells) + " |")
    return out


def build_card(run: str | Path, model: str | Path, hardware: str, notes: str = "", title: str = "",
               curve: list[dict] | None = None) -> str:
    """The Markdown card of the model in ``model`` trained by the run in ``run`` (see the module docstring)."""
    run, model = Path(run), Path(model)
    state = _training_state(model)
    log = read_log(run / "log.jsonl", until=state.get("steps"))
    return _render_card(run, model, hardware, notes, title, state, log, curve)


def _render_card(run: Path, model: Path, hardware: str, notes: str, title: str, state: dict, log: RunLog,
                 curve: list[dict] | None = None) -> str:
    """:func:`build_card` from the model's training state and the run's log, already read."""
    args = json.loads((run / "args.json").read_text())
    steps = int(state.get("steps", log.losses[-1]["step"]))
    minutes = float(state.get("minutes", log.checkpoints[-1]["minutes"] if log.checkpoints else float("nan")))
    threads = int(args.get("threads", 1))
    last = log.losses[-1]
    first = log.losses[0]
    sched = json.loads((model / "scheduler" / "scheduler_config.json").read_text())
    world = args.get("world", "train")
    lines = [
        f"# Model card: {title or 'dragon_widgets embedded model'}",
        "",
        "A small Stable-Diffusion-architecture pipeline trained from scratch on procedural scenes so that the toolkit "
        "runs its editor, notebooks and tests offline on a CPU. It loads with diffusers' `from_pretrained` "
        "(`dw.load_pipeline()`). *This card is generated by `python -m dragon_widgets.models.model_card` from the "
        "training run's `log.jsonl`, `args.json` and `training_state.json`.*",
        "",
        "## Summary",
        "",
        "| | |",
        "|---|---|",
        f"| steps | {steps:,} (batch {args.get('batch')}: {steps * int(args.get('batch', 0)):,} scenes) |",
        f"| training time | {minutes:.1f} min wall clock × {threads} thread{'s' if threads != 1 else ''} "
        f"(device `{args.get('device', 'cpu')}`) in {len(log.segments)} segment{'s' if len(log.segments) != 1 else ''} |",
        f"| hardware | {hardware} |",
        f"| final loss | {last['loss']:.4f} (mean of the 50 steps to step {last['step']:,}; {first['loss']:.4f} at step "
        f"{first['step']}) |",
        f"| plain DDIM inversion PSNR | {_fmt(state.get('inversion_psnr'), '.1f')} dB (8 scenes of its world; the "
        "engine refines its inversion, see `preset.inversion_refine`) |",
        f"| size on disk | {_size_mb(model):.1f} MiB (safetensors, fp16) |",
        "",
        "## Components (diffusers classes)",
        "",
        f"* unet: {_unet_summary(model)}",
        "* text_encoder: `CLIPTextModel` over the caption vocabulary (`models/vocab.py`)",
        "* vae: `PixelUnshuffleAutoencoder` (this package): lossless 2×2 pixel-unshuffle, 3×64×64 ↔ 12×32×32",
        f"* scheduler: `DDIMScheduler`, {sched.get('beta_schedule')} betas {sched.get('beta_start')}…"
        f"{sched.get('beta_end')}, {sched.get('num_train_timesteps')} steps, **{sched.get('prediction_type')}**",
        "",
        "## Data",
        "",
        f"World `{world}`: {WORLD_TEXT.get(world, f'`dragon_widgets.bench.world` world {world!r}.')} Captions name "
        f"the objects, colours and background; caption dropout {args.get('caption_dropout')}, so the empty prompt "
        "the edits use is a trained prior.",
        "",
        "## Training",
        "",
        f"v-prediction with min-SNR-{args.get('min_snr')} weighting, AdamW at lr {args.get('lr')} after a "
        f"{args.get('warmup')}-step warm-up, EMA {args.get('ema')} (the EMA weights ship), "
        f"{'bf16 autocast' if args.get('bf16') else 'fp32'}, gradient clip 1. The last segment's command "
        "(`args.json`):",
        "",
        "```",
        train_command(args),
        "```",
        "",
        "| segment | steps | minutes at its end |",
        "|---|---|---|",
        *[f"| {i + 1} | {a:,} → {b:,} | {m:.1f} |" for i, (a, b, m) in enumerate(log.segments)],
        "",
        f"![loss curve]({LOSS_PNG})",
        "",
        "Checkpoints (`log.jsonl`): " + ", ".join(f"{c['step']:,} ({_fmt(c.get('inversion_psnr'), '.1f')} dB)"
                                                for c in log.checkpoints) + ".",
    ]
    if curve:
        lines += ["", "## Learning curve", "",
                  "Each point: the EMA weights at that many training CPU-hours (wall hours × threads), scored on "
                  "ShapesBench's `tuning` split by `benchmarks/curve_point.py` (success per edit kind, the share of "
                  "edits with an invented object, the round trip `reconstruct(invert(x))` on scenes and on their "
                  "object-free backgrounds, complete caption samples).", "",
                  f"![learning curve]({CURVE_PNG})", "", *curve_table(curve)]
    grid = _samples(run, steps)
    if grid is not None:
        captions = [c for c in grid[1].read_text().splitlines() if c.strip()] if grid[1].exists() else []
        lines += ["", "## Samples", "", f"![samples at step {steps:,}]({SAMPLES_PNG})", "",
                  f"The EMA weights at step {steps:,} (`{grid[0].name}` of the run): the top row from these captions, "
                  "the bottom row unconditional (the empty prompt the edits use):", "",
                  *[f"{i + 1}. {c}" for i, c in enumerate(captions)]]
    if notes.strip():
        lines += ["", "## Notes", "", notes.strip()]
    return "\n".join(lines) + "\n"


def _training_state(model: Path) -> dict:
    """The exported model's ``training_state.json`` (steps, minutes, inversion PSNR), or {} if it has none."""
    state_file = model / "training_state.json"
    return json.loads(state_file.read_text()) if state_file.exists() else {}


def _samples(run: Path, steps: int) -> tuple[Path, Path] | None:
    """The run's sample grid (and caption file) of step ``steps``, if the run wrote one."""
    png = Path(run) / f"samples_{steps:06d}.png"
    return (png, png.with_suffix(".txt")) if png.exists() else None


def write_card(run: str | Path, model: str | Path, hardware: str, out: str | Path | None = None,
               notes: str = "", title: str = "", curve: str | Path | None = None) -> Path:
    """Write ``README.md`` and ``loss_curve.png`` (and with a ``curve`` file ``learning_curve.png``) to ``out``
    (default: ``model``); returns the card's path."""
    out = Path(model if out is None else out)
    out.mkdir(parents=True, exist_ok=True)
    run, model = Path(run), Path(model)
    state = _training_state(model)
    until = state.get("steps")
    log = read_log(run / "log.jsonl", until=until)
    rows = read_curve(curve) if curve is not None else None
    text = _render_card(run, model, hardware, notes, title, state, log, rows)
    plot_loss(log, out / LOSS_PNG)
    if rows:
        plot_curve(rows, out / CURVE_PNG)
    grid = _samples(run, int(until)) if until is not None else None
    if grid is not None:
        import shutil

        shutil.copyfile(grid[0], out / SAMPLES_PNG)
        if grid[1].exists():
            shutil.copyfile(grid[1], out / SAMPLES_TXT)
    (out / "README.md").write_text(text)
    return out / "README.md"


def main(argv: list[str] | None = None) -> Path:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="training run folder (log.jsonl, args.json)")
    p.add_argument("--model", required=True, help="the exported model folder (training_state.json, configs)")
    p.add_argument("--hardware", required=True, help="what it trained on, e.g. '2-core AMD EPYC CPU, 1 thread'")
    p.add_argument("--out", default=None, help="where README.md and loss_curve.png go (default: --model)")
    p.add_argument("--notes", default=None, help="a Markdown file added under 'Notes' (status, metrics)")
    p.add_argument("--title", default="", help="the card's title (default: dragon_widgets embedded model)")
    p.add_argument("--curve", default=None, help="learning-curve rows from benchmarks/curve_point.py (a JSON list)")
    a = p.parse_args(argv)
    for name, folder, need in (("--run", a.run, ("log.jsonl", "args.json")), ("--model", a.model, ("unet",))):
        missing = [n for n in need if not (Path(folder) / n).exists()]
        if missing:
            p.error(f"{name}: {folder!r} has no {', '.join(missing)}")
    notes = Path(a.notes).read_text() if a.notes else ""
    path = write_card(a.run, a.model, a.hardware, a.out, notes, a.title, a.curve)
    print(f"wrote {path} and {path.parent / LOSS_PNG}")
    return path


if __name__ == "__main__":
    main()
