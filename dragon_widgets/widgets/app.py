"""EditorApp: the notebook editor — canvases, modes, parameters, Run/Cancel, preview, history, export."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import io
import time
import traceback
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
from PIL import Image

from . import _imaging, _runner
from ._composite import paste_preview
from ._params import ParamPanel
from ._scene import builtin_reference, builtin_scene
from .canvas import DragCanvas
from .compare import CompareView

REFERENCE_TOOLS = ["box", "brush", "eraser"]


def _ui_modes() -> tuple:
    from dragon_widgets.engine.ui_modes import UI_MODES

    return UI_MODES


def _ui_mode(name: str) -> Any:
    from dragon_widgets.engine.ui_modes import ui_mode

    return ui_mode(name)


PREVIEW_SIDE = 256


def _preview_png(image: Any) -> bytes:
    """PNG for the preview pane: small images scaled up crisply, large ones scaled down."""
    arr = _imaging.to_rgb_array(image, "preview")
    h, w = arr.shape[:2]
    k = PREVIEW_SIDE / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    img = Image.fromarray(arr).resize(size, Image.NEAREST if k >= 1 else Image.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(level, plain-words message) for an exception raised by a run."""
    from dragon_widgets.engine import EditCancelled, GuidanceError, ModelNotAvailableError

    text = str(exc) or type(exc).__name__
    if isinstance(exc, (EditCancelled, KeyboardInterrupt)):
        return "warning", "Cancelled. Your drawing and the previous result are kept."
    if isinstance(exc, ModelNotAvailableError):
        return "danger", f"The model is not available: {text}"
    if isinstance(exc, MemoryError) or "out of memory" in text.lower():
        return "danger", ("Out of memory. Try a smaller image or close other notebooks; on a GPU load the model "
                          "in float16 (dw.load_pipeline(..., dtype=torch.float16)). Your drawing is kept.")
    if isinstance(exc, GuidanceError):
        return "danger", "The guidance diverged (NaN). Lower the energy scale under Advanced and run again."
    if isinstance(exc, (ValueError, TypeError)):
        return "danger", f"Cannot run this edit: {text}"
    return "danger", f"Unexpected error ({type(exc).__name__}): {text}"


def _without_bank(result: Any) -> Any:
    """A copy of an EditResult whose source drops its memory bank (undo and export need only images and log)."""
    if result.source.bank is None:
        return result
    return dataclasses.replace(result, source=dataclasses.replace(result.source, bank=None))


class EditorApp(W.VBox):
    """The drag-style editor: ``EditorApp()`` opens a built-in scene on the embedded model.

    Parameters
    ----------
    image : PIL image or uint8 array, optional
        The image to edit; default: a built-in ShapesBench scene for the embedded model.
    pipe : diffusers pipeline, optional
        Any Stable-Diffusion-style pipeline (``dw.load_pipeline(...)``); default: the embedded model,
        loaded on the first run.
    reference : PIL image or uint8 array, optional
        Reference image for the appearance and paste modes (default: a second built-in scene, or the image).
    prompt : str, optional
        Prompt describing the image (default: the built-in scene's caption, else "").
    preset : str or dw.Preset, optional
        Engine preset; default: the one that fits the model.
    mode : str
        Starting mode: one of the UI modes (move, resize, drag, landmark, appearance, paste).
    export_dir : str or Path
        Where Export writes ``edit-NNN/`` folders (PNG + the engine's JSON edit log).
    box_to_mask : bool or callable
        Turn drawn boxes into object masks (built-in colour segmenter, or e.g. a SAM masker).
    """

    def __init__(
        self,
        image: Any = None,
        pipe: Any = None,
        *,
        reference: Any = None,
        prompt: str | None = None,
        preset: Any = None,
        mode: str = "move",
        export_dir: str | Path = "dragon_edits",
        box_to_mask: Any = True,
    ) -> None:
        _ui_mode(mode)  # ValueError naming the modes
        caption = ""
        if image is None:
            image, caption = builtin_scene()
            if reference is None:
                reference, _ = builtin_reference()
        image = _imaging.to_rgb_array(image, "image")
        reference = image if reference is None else _imaging.to_rgb_array(reference, "reference")
        self._pipe = pipe
        self._preset_arg = preset
        self._editor: Any = None
        self._sources: dict[tuple, Any] = {}
        self._job: _runner.Job | None = None
        self._cancel_requested = False
        self._busy = False
        self.export_dir = Path(export_dir)
        self.result: Any = None
        self.history: list[dict] = []
        self.last_error: BaseException | None = None

        self.canvas = DragCanvas(image, tools=list(_ui_mode(mode).tools), box_to_mask=box_to_mask)
        self.reference_canvas = DragCanvas(reference, tools=REFERENCE_TOOLS, box_to_mask=box_to_mask)
        self.reference_canvas.tool = "box"
        self.params = ParamPanel(self._initial_preset(), prompt if prompt is not None else caption)
        self.params.set_size(self.canvas.width, self.canvas.height)

        self.mode_selector = W.ToggleButtons(options=[(d.label, d.name) for d in _ui_modes()], value=mode,
                                             style={"button_width": "92px"})
        self.hint = W.HTML()
        self.run_button = W.Button(description="Run", button_style="primary", icon="play")
        self.cancel_button = W.Button(description="Cancel", button_style="warning", icon="stop", disabled=True)
        self.progress = W.IntProgress(value=0, min=0, max=1, description="", layout=W.Layout(width="260px"))
        self.status = W.HTML(value="Ready.")
        self.preview_label = W.HTML("<b>Preview</b>")
        self.preview = W.Image(value=_preview_png(image), format="png",
                               layout=W.Layout(width=f"{PREVIEW_SIDE}px", height=f"{PREVIEW_SIDE}px"))
        self.compare = CompareView(image)
        self.undo_edit_button = W.Button(description="Undo edit", icon="undo", disabled=True)
        self.use_result_button = W.Button(description="Use result as input", icon="arrow-left", disabled=True)
        self.export_button = W.Button(description="Export", icon="download", disabled=True)
        self.history_html = W.HTML()
        # Tracebacks as HTML, not an ipywidgets.Output: some ipywidgets 7 front ends cannot show an Output
        # (ipywidgets 7.8.5 in classic Notebook fails to render the whole app).
        self.details = W.HTML(layout=W.Layout(max_height="160px", overflow="auto"))
        self.details.add_class("dw-error-details")

        self.reference_box = W.VBox([W.HTML("<b>Reference image</b>"), self.reference_canvas])
        left = W.VBox([W.HTML("<b>Image</b>"), self.canvas, self.reference_box],
                      layout=W.Layout(margin="0 16px 0 0"))  # no Layout.gap: ipywidgets 7 lacks it
        right = W.VBox([
            self.params.widget,
            W.HBox([self.run_button, self.cancel_button, self.progress]),
            self.status,
            W.HBox([W.VBox([self.preview_label, self.preview]),
                    W.VBox([W.HTML("<b>Before / after</b> <small>(drag to compare)</small>"), self.compare])]),
            W.HBox([self.undo_edit_button, self.use_result_button, self.export_button]),
            self.history_html,
            self.details,
        ], layout=W.Layout(min_width="360px"))
        super().__init__([
            W.HTML("<h3 style='margin:4px 0'>DragonDiffusion editor</h3>"),
            self.mode_selector,
            self.hint,
            W.HBox([left, right], layout=W.Layout(flex_flow="row wrap")),
        ])
        self.add_class("dw-editor-app")

        self.mode_selector.observe(lambda ch: self._mode_changed(ch["new"]), "value")
        self.run_button.on_click(lambda _b: self.run(wait=False))
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.undo_edit_button.on_click(lambda _b: self.undo_edit())
        self.use_result_button.on_click(lambda _b: self.use_result_as_input())
        self.export_button.on_click(lambda _b: self._export_clicked())
        for w in (self.params.dx, self.params.dy, self.params.scale):
            w.observe(lambda _ch: self._update_paste_preview(), "value")
        self.reference_canvas.observe(lambda _ch: self._update_paste_preview(), "mask_data")
        self.canvas.observe(self._arrow_changed, "arrow")
        self._mode_changed(mode)
        self._render_history()

    # ------------------------------------------------------------------ engine
    def _initial_preset(self) -> Any:
        from dragon_widgets.engine import get_preset

        if self._preset_arg is not None:
            return get_preset(self._preset_arg)
        if self._pipe is None:
            return get_preset("embedded")
        return self.editor.preset

    @property
    def editor(self) -> Any:
        """The ``dw.DragonEditor`` (the embedded model is loaded on first use)."""
        if self._editor is None:
            from dragon_widgets.engine import DragonEditor, load_pipeline

            if self._pipe is None:
                self._pipe = load_pipeline()
            self._editor = DragonEditor(self._pipe, preset=self._preset_arg)
        return self._editor

    @property
    def mode(self) -> str:
        """Current UI mode (move, resize, drag, landmark, appearance, paste); settable."""
        return self.mode_selector.value

    @mode.setter
    def mode(self, value: str) -> None:
        _ui_mode(value)
        self.mode_selector.value = value

    @property
    def status_text(self) -> str:
        """The status line as plain text."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.status.value))

    @property
    def running(self) -> bool:
        """True from Run until the result (or error) is shown."""
        return self._busy

    # ------------------------------------------------------------------ UI reactions
    def _mode_changed(self, mode: str) -> None:
        desc = _ui_mode(mode)
        self.canvas.tools = list(desc.tools)
        if self.canvas.tool not in desc.tools:
            self.canvas.tool = desc.tools[0]
        self.params.set_mode(mode)
        self.reference_box.layout.display = "" if desc.reference else "none"
        self.preview_label.value = "<b>Paste preview</b>" if mode == "paste" else "<b>Preview</b>"
        self.hint.value = f"<i>{html.escape(desc.hint)}</i>"
        self._update_paste_preview()

    def _arrow_changed(self, change: dict) -> None:
        if self.mode == "paste" and change["new"]:
            dx, dy = self.canvas.offset
            self.params.dx.value, self.params.dy.value = int(round(dx)), int(round(dy))

    def _update_paste_preview(self) -> None:
        if self.mode != "paste" or self.running:
            return
        comp = paste_preview(self.canvas.image_array, self.reference_canvas.image_array, self.reference_canvas.mask,
                             (self.params.dx.value, self.params.dy.value), self.params.scale.value)
        self.preview.value = _preview_png(comp)

    def _set_status(self, text: str, level: str = "") -> None:
        colors = {"danger": "#b00020", "warning": "#a15c00", "success": "#1b7f3b"}
        color = colors.get(level, "inherit")
        self.status.value = f"<span class='dw-status-{level or 'info'}' style='color:{color}'>{html.escape(text)}</span>"

    def _set_running(self, running: bool) -> None:
        self.run_button.disabled = running
        self.cancel_button.disabled = not running
        self.mode_selector.disabled = running
        has = self.result is not None
        self.use_result_button.disabled = running or not has
        self.export_button.disabled = running or not has
        self.undo_edit_button.disabled = running or not self.history

    # ------------------------------------------------------------------ edits
    def drawing(self) -> Any:
        """The canvases and controls as an engine ``Drawing`` (what the current mode's descriptor builds from)."""
        from dragon_widgets.engine.ui_modes import Drawing

        desc, c, r = _ui_mode(self.mode), self.canvas, self.reference_canvas
        if "offset" in desc.controls:
            offset = (float(self.params.dx.value), float(self.params.dy.value))
        else:
            offset = tuple(c.offset) if c.arrow else None
        return Drawing(mask=c.mask, offset=offset, scale=float(self.params.scale.value) if "scale" in desc.controls else 1.0,
                       region=c.region, points=list(c.points), reference=r.image_array if desc.reference else None,
                       reference_mask=r.mask if desc.reference else None)

    def build_edit(self) -> Any:
        """The engine edit described by the canvases and controls (``ValueError`` in plain words if incomplete)."""
        return _ui_mode(self.mode).build(self.drawing())

    def run(self, wait: bool = True) -> Any:
        """Run the current edit. From code (``wait=True``) it blocks and returns the ``EditResult`` (or None
        when it failed or was cancelled; see :attr:`status_text`). The Run button uses ``wait=False``:
        the engine runs in a worker thread so the page, and Cancel, stay live."""
        if self.running:
            self._set_status("An edit is already running; press Cancel to stop it.", "warning")
            return None
        try:
            edit = self.build_edit()
        except (ValueError, TypeError) as exc:
            self.last_error = exc
            self._set_status(str(exc), "danger")
            return None
        mode = self.mode
        image = self.canvas.image_array
        prompt = self.params.prompt.value
        seed = int(self.params.seed.value)
        preset = self.params.preset_for(mode)
        self._cancel_requested = False
        self._busy = True
        self.last_error = None
        self.progress.value, self.progress.max, self.progress.bar_style = 0, 1, "info"
        self._set_running(True)
        self._set_status("Starting…")
        t0 = time.perf_counter()

        def work(job: _runner.Job) -> Any:
            if self._editor is None:
                job.post(self._set_status, "Loading the model…")
            editor = self.editor
            if self._cancel_requested:
                from dragon_widgets.engine import EditCancelled

                raise EditCancelled("cancelled before the edit started")
            # the settings travel with the call: the editor (shared with the notebook) is never changed
            src = self._source(editor, image, prompt, preset, job)
            job.post(self._set_status, "Editing…")

            def on_step(step: int, total: int, preview: Any) -> None:
                png = _preview_png(preview) if preview is not None else None
                job.post(self._on_progress, "Editing", step, total, png)

            return editor.edit(src, edit, seed=seed, on_step=on_step, preset=preset)

        def finish(result: Any, error: BaseException | None) -> None:
            self._finish(mode, image, result, error, time.perf_counter() - t0)

        self._job = _runner.start(work, finish, wait=wait)
        return self.result if wait and self.last_error is None else None

    def _source(self, editor: Any, image: np.ndarray, prompt: str, preset: Any, job: _runner.Job) -> Any:
        # an inversion depends on the preset's numbers, not on its edit modes' parameters
        inversion = repr(sorted((k, v) for k, v in preset.to_dict().items() if k != "modes"))
        key = (hashlib.sha1(image.tobytes()).hexdigest(), image.shape, prompt, inversion, id(editor.pipe))
        if key in self._sources:
            return self._sources[key]
        job.post(self._set_status, "Inverting the image…")

        def on_step(step: int, total: int, _preview: Any = None) -> None:
            job.post(self._on_progress, "Inverting", step, total, None)

        src = editor.invert(image, prompt=prompt, on_step=on_step, preset=preset)
        self._sources = {key: src}  # keep one: banks are large
        return src

    def _on_progress(self, phase: str, step: int, total: int, png: bytes | None) -> None:
        if not self.running:
            return  # a late update after the run finished
        self.progress.max = max(1, int(total))
        self.progress.value = min(int(step), self.progress.max)
        if png is not None:
            self.preview.value = png
        if not self._cancel_requested:
            self._set_status(f"{phase}… step {step}/{total}")

    def _finish(self, mode: str, image: np.ndarray, result: Any, error: BaseException | None, seconds: float) -> None:
        if error is not None:
            self.last_error = error
            level, text = describe_error(error)
            self._set_status(text, level)
            self.progress.bar_style = level
            if level == "danger" and not isinstance(error, (ValueError, TypeError)):
                tb = "".join(traceback.format_exception(type(error), error, error.__traceback__))[-4000:]
                self.details.value = ("<pre style='margin:0;font-size:11px;white-space:pre-wrap;color:#b00020'>"
                                      f"{html.escape(tb)}</pre>")
        else:
            self.details.value = ""
            self.result = result
            if self.history:  # older results keep their image and log, not their memory bank (GBs for SD)
                self.history[-1]["result"] = _without_bank(self.history[-1]["result"])
            self.history.append({"mode": mode, "input": image, "result": result, "seconds": seconds})
            self.compare.set_images(image, result.image)
            self.preview.value = _preview_png(result.image)
            self.progress.value = self.progress.max
            self.progress.bar_style = "success"
            t = result.timings
            self._set_status(f"Done: {_ui_mode(mode).label.lower()} in {seconds:.1f} s "
                             f"(inversion {t.get('invert', 0):.1f} s, edit {t.get('edit', 0):.1f} s).", "success")
        self._job = None
        self._busy = False
        self._set_running(False)
        self._render_history()

    def cancel(self) -> None:
        """Stop the running edit at the next sampler step (drawn state and earlier results are kept)."""
        if not self.running:
            return
        self._cancel_requested = True
        if self._editor is not None:
            self._editor.cancel()
        self._set_status("Cancelling…", "warning")

    # ------------------------------------------------------------------ history / export
    def _render_history(self) -> None:
        if not self.history:
            self.history_html.value = "<small>No edits yet.</small>"
            return
        items = "".join(f"<li>{html.escape(_ui_mode(h['mode']).label)} · seed {h['result'].seed} · {h['seconds']:.1f} s</li>"
                        for h in self.history)
        self.history_html.value = f"<b>History</b><ol style='margin:2px 0'>{items}</ol>"

    def use_result_as_input(self) -> None:
        """Continue editing from the last result (the drawing is cleared: it described the old image)."""
        if self.result is None:
            return
        self.canvas.set_image(self.result.image, keep_drawing=False)
        self.compare.set_images(self.result.image)
        self.preview.value = _preview_png(self.result.image)
        self._set_status("The result is now the input image.", "success")
        self._update_paste_preview()

    def undo_edit(self) -> None:
        """Forget the last edit and go back to the image it started from."""
        if not self.history or self.running:
            return
        last = self.history.pop()
        self.canvas.set_image(last["input"], keep_drawing=True)
        self.preview.value = _preview_png(last["input"])
        prev = self.history[-1] if self.history else None
        self.result = prev["result"] if prev else None
        if prev:
            self.compare.set_images(prev["input"], prev["result"].image)
        else:
            self.compare.set_images(last["input"])
        self._set_status("Undid the last edit.", "")
        self._set_running(False)
        self._render_history()

    def export(self, folder: str | Path | None = None) -> Path:
        """Write the last result (result.png, input.png, masks and edit.json) to ``folder``."""
        if self.result is None:
            raise ValueError("Run an edit before exporting.")
        if folder is None:
            n = 1
            while (self.export_dir / f"edit-{n:03d}").exists():
                n += 1
            folder = self.export_dir / f"edit-{n:03d}"
        return Path(self.result.save(folder))

    def _export_clicked(self) -> None:
        try:
            path = self.export()
        except Exception as exc:  # disk full, permissions: say so, keep everything
            self._set_status(f"Export failed: {exc}", "danger")
            return
        self._set_status(f"Exported to {path} (result.png, edit.json).", "success")
