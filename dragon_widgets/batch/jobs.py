"""Job lists: a DragBench root, a ShapesBench split, a folder of saved edits or a JSONL of edit dicts, as one list
of :class:`Job` s.

A job is small and JSON-ready (where its input lives, never the pixels): listing 10 000 jobs reads no image. Its
input is read by :meth:`Job.prepare` when the job runs, so a broken file fails that one job (with a one-line
error) and not the list. Every job has a ``category`` and a ``sample`` name; its results go to
``<out>/<category>/<sample>/`` (DragBench's layout).

Sources (:func:`load_jobs`):

* a **DragBench root** (``<category>/<sample>/original_image.png`` + ``meta_data.pkl``): one ``drag`` job per
  sample, with the sample's prompt, points and editable mask;
* a **ShapesBench split**: ``shapesbench:SPLIT[:KINDS[:N]]``, e.g. ``shapesbench:test:drag,drag-far:20`` (default
  all kinds, 20 tasks each), category = the task kind, sample = the task id; run as ShapesBench runs them (empty
  prompt, seed 0) and scored against the ground truth;
* a **folder of saved edits**: folders holding ``edit.json`` (``res.save(...)``, the editor's Export) at depth 0,
  1 or 2; each is re-run with its own input, prompt, seed and preset;
* a **JSONL file**: one JSON object per line, ``{"image": "photo.png", "edit": {"kind": "drag", "points":
  [[[x0, y0], [x1, y1]]], "mask": "mask.png"}, "prompt": "...", "seed": 0, "preset": "sd15", "params": {...},
  "id": "photo-1", "category": "sweep"}`` (paths relative to the JSONL file; only ``image`` and ``edit`` are
  required).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..bench.dragbench import check_name

#: Job sources, the ``source`` of a :class:`Job`.
SOURCES = ("dragbench", "shapesbench", "edit-log", "jsonl")
#: Default tasks per kind for a ``shapesbench:`` spec without N.
SHAPESBENCH_N = 20
#: Largest JSONL file read (bytes).
MAX_JSONL_BYTES = 256 * 1024 * 1024
#: The mask-like keys of an edit dict a JSONL line may give as file paths, and the image-like ones.
_MASK_KEYS = ("mask", "reference_region", "reference_mask")
_IMAGE_KEYS = ("reference",)


@dataclass
class Job:
    """One edit to run. ``origin`` says where its input is (JSON-ready); ``mode`` is the UI mode it asks for
    (move, resize, drag, landmark, appearance, paste), known without reading the input where possible."""

    category: str
    sample: str
    source: str
    origin: dict = field(default_factory=dict)
    mode: str = ""

    @property
    def id(self) -> str:
        return f"{self.category}/{self.sample}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Job":
        if not isinstance(d, dict) or d.get("source") not in SOURCES:
            raise ValueError(f"a job must be a dict with source one of {SOURCES}, got {str(d)[:200]}")
        return cls(category=check_name(d["category"], "category"), sample=check_name(d["sample"], "sample"),
                   source=d["source"], origin=dict(d.get("origin") or {}), mode=str(d.get("mode", "")))

    def prepare(self) -> "Prepared":
        """Read the job's input and build its engine edit (``ValueError``/``OSError`` on a bad input)."""
        return _PREPARE[self.source](self)


@dataclass
class Prepared:
    """A job's input, ready for the editor: the image (uint8 (H, W, 3)), the engine edit, the prompts (the
    inversion's ``source_prompt`` and the edit's ``prompt``), and what the job fixes itself (``seed``, ``preset``:
    a name or a preset dict, ``params``: per-call mode parameters) — None where the run's settings decide.
    ``task``: the ShapesBench task (ground truth) of a ShapesBench job."""

    image: np.ndarray
    edit: Any
    prompt: str = ""
    source_prompt: str = ""
    seed: int | None = None
    preset: Any = None
    params: dict | None = None
    task: Any = None

    @property
    def mode(self) -> str:
        return mode_of(self.edit)


def mode_of(edit: Any) -> str:
    """The UI mode of an engine edit: its kind, ``resize`` for a move that scales."""
    kind = getattr(edit, "kind", "")
    if kind == "move" and float(getattr(edit, "scale", 1.0)) != 1.0:
        return "resize"
    return kind


# ------------------------------------------------------------------------------------------------ listing
def load_jobs(spec: str | os.PathLike) -> list[Job]:
    """The jobs of ``spec`` (see the module docstring), in a fixed order (sorted by category, then sample, for
    folders; the file's order for JSONL). ``ValueError`` names what is wrong with the list itself."""
    text = str(spec)
    if text.startswith("shapesbench:"):
        return shapesbench_jobs(text)
    path = Path(text).expanduser()
    if not path.exists():
        raise ValueError(f"JOBS {text!r} does not exist (give a DragBench folder, a folder of saved edits, a .jsonl "
                         f"file or shapesbench:SPLIT[:KINDS[:N]])")
    if path.is_file():
        if path.suffix.lower() not in (".jsonl", ".json", ".ndjson"):
            raise ValueError(f"JOBS file {text!r} must be a .jsonl file of edit dicts (one JSON object per line)")
        return jsonl_jobs(path)
    from ..bench.dragbench import is_dragbench_root

    if is_dragbench_root(path):
        return dragbench_jobs(path)
    logs = edit_log_folders(path)
    if logs:
        return edit_log_jobs(path, logs)
    raise ValueError(f"JOBS folder {text!r} holds neither DragBench samples (<category>/<sample>/meta_data.pkl) nor "
                     f"saved edits (edit.json)")


def dragbench_jobs(root: str | os.PathLike) -> list[Job]:
    from ..bench.dragbench import list_samples

    return [Job(check_name(cat, "category"), check_name(name, "sample"), "dragbench",
                {"folder": str(Path(folder).resolve())}, "drag") for cat, name, folder in list_samples(root)]


def shapesbench_jobs(spec: str) -> list[Job]:
    """``shapesbench:SPLIT[:KINDS[:N]]`` → one job per task (kinds comma-separated; ``all`` = every kind)."""
    from ..bench.runner import task_mode
    from ..bench.tasks import KINDS, SPLITS

    parts = spec.split(":")
    if len(parts) > 4 or len(parts) < 2 or not parts[1]:
        raise ValueError(f"ShapesBench jobs are given as shapesbench:SPLIT[:KINDS[:N]] (e.g. "
                         f"shapesbench:test:drag,drag-far:20), got {spec!r}")
    split = parts[1]
    if split not in SPLITS:
        raise ValueError(f"ShapesBench split must be one of {tuple(SPLITS)}, got {split!r}")
    kinds = tuple(KINDS) if len(parts) < 3 or parts[2] in ("", "all") else tuple(parts[2].split(","))
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValueError(f"ShapesBench kinds must be drawn from {KINDS}, got {bad}")
    try:
        n = int(parts[3]) if len(parts) == 4 else SHAPESBENCH_N
    except ValueError:
        raise ValueError(f"ShapesBench N must be a whole number, got {parts[3]!r}") from None
    if n < 1:
        raise ValueError(f"ShapesBench N must be at least 1, got {n}")
    return [Job(kind, f"{split}-{kind}-{i:03d}", "shapesbench", {"split": split, "kind": kind, "index": i},
                task_mode(kind)) for kind in kinds for i in range(n)]


def edit_log_folders(root: Path) -> list[Path]:
    """Folders holding ``edit.json`` at ``root`` itself or one or two levels below, sorted."""
    if (root / "edit.json").is_file():
        return [root]
    found = sorted({p.parent for pattern in ("*/edit.json", "*/*/edit.json") for p in root.glob(pattern)})
    return [p for p in found if p.is_dir()]


def edit_log_jobs(root: Path, folders: list[Path]) -> list[Job]:
    jobs = []
    for folder in folders:
        rel = folder.relative_to(root).parts
        category, sample = (rel[0], rel[1]) if len(rel) == 2 else ("edits", rel[0] if rel else folder.resolve().name)
        mode = ""
        try:
            edit = json.loads((folder / "edit.json").read_text()[:1_000_000]).get("edit", {})
            mode = str(edit.get("kind", "")) if isinstance(edit, dict) else ""
            if mode == "move" and isinstance(edit.get("scale"), (int, float)) and edit["scale"] != 1:
                mode = "resize"
        except (OSError, ValueError, AttributeError):
            pass  # the job reports it when it runs
        jobs.append(Job(check_name(category, "category"), check_name(sample, "sample"), "edit-log",
                        {"folder": str(folder.resolve())}, mode))
    _check_unique(jobs, str(root))
    return jobs


def jsonl_jobs(path: Path) -> list[Job]:
    """One job per non-blank line; a line that is not a JSON object still makes a job (it fails when run)."""
    size = path.stat().st_size
    if size > MAX_JSONL_BYTES:
        raise ValueError(f"{path} is {size} bytes; at most {MAX_JSONL_BYTES} are read")
    jobs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        category, sample, mode = "jsonl", f"line-{n:05d}", ""
        try:
            d = json.loads(line)
        except ValueError:
            d = None
        if isinstance(d, dict):
            category = check_name(d.get("category", category), f"{path} line {n}: category")
            sample = check_name(d.get("id", sample), f"{path} line {n}: id")
            edit = d.get("edit")
            if isinstance(edit, dict) and isinstance(edit.get("kind"), str):
                mode = edit["kind"]
                if mode == "move" and isinstance(edit.get("scale"), (int, float)) and edit["scale"] != 1:
                    mode = "resize"
        jobs.append(Job(category, sample, "jsonl", {"file": str(path.resolve()), "line": n}, mode))
    if not jobs:
        raise ValueError(f"{path} holds no jobs (one JSON object per line)")
    _check_unique(jobs, str(path))
    return jobs


def _check_unique(jobs: list[Job], where: str) -> None:
    seen: dict[str, int] = {}
    for k, job in enumerate(jobs):
        if job.id in seen:
            raise ValueError(f"{where}: two jobs are named {job.id!r} (job {seen[job.id] + 1} and job {k + 1}); "
                             f"give each a unique category/id")
        seen[job.id] = k


# ------------------------------------------------------------------------------------------------ preparing
def _prepare_dragbench(job: Job) -> Prepared:
    from ..bench.dragbench import read_sample
    from ..engine.edits import Drag

    s = read_sample(job.origin["folder"], job.category, job.sample)
    return Prepared(image=s.image(), edit=Drag(points=s.points, mask=s.mask), prompt=s.prompt,
                    source_prompt=s.prompt)


def _prepare_shapesbench(job: Job) -> Prepared:
    from ..bench.runner import make_edit
    from ..bench.tasks import make_task

    o = job.origin
    task = make_task(o["kind"], o["split"], int(o["index"]))
    return Prepared(image=task.input_image, edit=make_edit(task), seed=0, task=task)


def _prepare_edit_log(job: Job) -> Prepared:
    from ..engine.edits import edit_from_dict
    from ..engine.log import load_log
    from ..engine.log_schema import open_log_image

    folder = Path(job.origin["folder"])
    log, edit_d = load_log(folder)
    image = np.asarray(open_log_image(folder, log["input"], "input").convert("RGB"))
    return Prepared(image=image, edit=edit_from_dict(edit_d), prompt=log["prompt"],
                    source_prompt=log["source_prompt"], seed=log["seed"], preset=log["preset"])


def _jsonl_line(path: Path, line: int) -> dict:
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, start=1):
            if n == line:
                try:
                    d = json.loads(text)
                except ValueError as err:
                    raise ValueError(f"{path} line {line} is not JSON ({err})") from None
                if not isinstance(d, dict):
                    raise ValueError(f"{path} line {line} must be a JSON object, got {type(d).__name__}")
                return d
    raise ValueError(f"{path} has no line {line} any more")


_JSONL_KEYS = {"image", "edit", "prompt", "source_prompt", "seed", "preset", "params", "id", "category"}


def _file_value(value: Any, base: Path, where: str) -> Path:
    name = value.get("png") if isinstance(value, dict) and set(value) == {"png"} else value
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where} must be a file path (relative to the JSONL file) or {{'png': path}}, got "
                         f"{str(value)[:100]}")
    p = Path(name).expanduser()
    return p if p.is_absolute() else base / p


def _prepare_jsonl(job: Job) -> Prepared:
    from ..core.images import open_image, open_mask
    from ..engine.edits import edit_from_dict

    path, line = Path(job.origin["file"]), int(job.origin["line"])
    d = _jsonl_line(path, line)
    where = f"{path.name} line {line}"
    unknown = sorted(set(d) - _JSONL_KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown}; expected keys from {sorted(_JSONL_KEYS)}")
    for key in ("image", "edit"):
        if key not in d:
            raise ValueError(f"{where} is missing the key {key!r}")
    base = path.parent
    image = open_image(_file_value(d["image"], base, f"{where}: image"), f"{where}: image")
    size = (image.shape[1], image.shape[0])
    edit = d["edit"]
    if not isinstance(edit, dict):
        raise ValueError(f"{where}: edit must be an edit dict with a 'kind', got {type(edit).__name__}")
    edit = dict(edit)
    for key in _MASK_KEYS:
        if edit.get(key) is not None:
            ref_size = size
            if key == "reference_mask" and edit.get("reference") is not None:
                ref = open_image(_file_value(edit["reference"], base, f"{where}: edit.reference"),
                                 f"{where}: edit.reference")
                ref_size = (ref.shape[1], ref.shape[0])
            edit[key] = open_mask(_file_value(edit[key], base, f"{where}: edit.{key}"), ref_size,
                                  f"{where}: edit.{key}", allow_empty=True, allow_full=True)
    for key in _IMAGE_KEYS:
        if edit.get(key) is not None:
            edit[key] = open_image(_file_value(edit[key], base, f"{where}: edit.{key}"), f"{where}: edit.{key}")
    prompt = d.get("prompt", "")
    source_prompt = d.get("source_prompt", prompt)
    for key, value in (("prompt", prompt), ("source_prompt", source_prompt)):
        if not isinstance(value, str):
            raise ValueError(f"{where}: {key} must be a string, got {type(value).__name__}")
    seed = d.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"{where}: seed must be a whole number, got {seed!r}"[:200])
    preset = d.get("preset")
    if preset is not None and not isinstance(preset, (str, dict)):
        raise ValueError(f"{where}: preset must be a preset name or a preset dict, got {type(preset).__name__}")
    params = d.get("params")
    if params is not None and not isinstance(params, dict):
        raise ValueError(f"{where}: params must be a dict of the mode's parameters, got {type(params).__name__}")
    try:
        built = edit_from_dict(edit)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    return Prepared(image=image, edit=built, prompt=prompt, source_prompt=source_prompt, seed=seed, preset=preset,
                    params=params)


_PREPARE = {"dragbench": _prepare_dragbench, "shapesbench": _prepare_shapesbench, "edit-log": _prepare_edit_log,
            "jsonl": _prepare_jsonl}
