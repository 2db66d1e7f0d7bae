"""ShapesBench: procedural scenes with ground truth, edit tasks, metrics, a naive baseline and a runner.

    from dragon_widgets import bench
    tasks = bench.make_tasks("test", n=20)          # move / resize / drag / drag-far / paste / appearance
    shifted = bench.make_tasks("shifted", n=20)     # held-out world, 128-px inputs ("test-v1": the old test split)
    score = bench.score(result_uint8, tasks[0])     # IoU, fidelity, invented objects, bystanders, ghost,
                                                    # background PSNR, drag distances, success

Submodules: ``scenes`` (v1 generator, rendering), ``world`` (the training and shifted worlds), ``tasks``, ``segment``, ``metrics``, ``baseline``, ``runner``;
``benchmarks/shapesbench.py`` prints the full table. Everything here but ``baseline``/``runner`` is numpy only.
"""

from __future__ import annotations

from dragon_widgets._lazy import lazy_exports

_LAZY = {
    "Scene": "scenes", "Shape": "scenes", "Background": "scenes", "render": "scenes", "sample_scene": "scenes",
    "caption": "scenes",
    "Task": "tasks", "KINDS": "tasks", "make_task": "tasks", "make_tasks": "tasks", "load_tasks": "tasks",
    "save_tasks": "tasks", "SPLITS": "tasks", "Split": "tasks", "DRAG_KINDS": "tasks",
    "sample_world_scene": "world",
    "segment_color": "segment", "detect": "segment", "classify_shape": "segment",
    "EditScore": "metrics", "score": "metrics", "summarize": "metrics", "psnr": "metrics",
    "NaiveBaseline": "baseline",
    "benchmark": "runner", "format_report": "runner", "EngineMethod": "runner", "run_tasks": "runner",
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
