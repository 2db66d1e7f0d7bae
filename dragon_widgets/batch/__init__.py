"""Batch editing at scale: job lists, a resumable multi-process runner, and DragBench evaluation.

    from dragon_widgets import batch
    jobs = batch.load_jobs("shapesbench:test:drag,drag-far:10")   # or a DragBench root, saved edits, a .jsonl
    summary = batch.run_batch(jobs, "out/", batch.RunSettings(preset="embedded"))
    report = batch.evaluate("dragbench/", "out/", batch.EvalSettings(dift_model="embedded"))

Command line: ``python -m dragon_widgets.batch run|eval|export-shapesbench`` (docs/batch.md). Modules: ``jobs``
(sources), ``runner``, ``distributed`` (accelerate), ``results`` (the result folder), ``summary``, ``thumbs``,
``evaluate`` with ``dift``, ``lpips`` and ``clip_sim``. The results browser is
:class:`dragon_widgets.widgets.results_browser.ResultsBrowser`.
"""

from __future__ import annotations

from dragon_widgets._lazy import lazy_exports

_LAZY = {
    "Job": "jobs", "Prepared": "jobs", "load_jobs": "jobs",
    "RunSettings": "runner", "run_batch": "runner",
    "processes": "distributed", "Processes": "distributed",
    "BatchResult": "results",
    "EvalSettings": "evaluate", "evaluate": "evaluate", "format_report": "evaluate",
    "dift_features": "dift",
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
