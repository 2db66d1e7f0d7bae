"""EditorApp: the notebook editor — canvases, modes, parameters, Run/Cancel, preview, history, export."""

from __future__ import annotations

import dataclasses
import html
import io
import re
import time
import traceback
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
from PIL import Image

from . import _drawings, _imaging, _inspect_tab, _runner
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
#: Longest side (CSS px) of the image canvas in the app: the canvas, Run and the result fit a 1440×900 screen.
CANVAS_SIDE = 512
REFERENCE_SIDE = 320
#: In Appearance and Paste the two canvases share the left column (side by side where it is wide enough), smaller,
#: so both, Run and the result fit a 1440×900 screen.
CANVAS_SIDE_WITH_REFERENCE = 384
REFERENCE_SIDE_WITH_IMAGE = 256
#: Images loaded into the app are scaled down to this longest side (the engine edits at its working size anyway).
LOAD_MAX_SIDE = 2048


def fit_display_width(size: tuple[int, int], side: int) -> int:
    """CSS width showing a (W, H) image with its longest side at most ``side`` px (small images scaled up by a
    whole factor, so pixels stay crisp)."""
    w, h = size
    longest = max(w, h, 1)
    k = side // longest if longest <= side else side / longest
    return max(1, round(w * k))


def open_image(image: Any, name: str = "image") -> np.ndarray:
    """A path, file bytes, binary file, PIL image or array → uint8 (H, W, 3) by the engine's normaliser
    (:mod:`dragon_widgets.core.images`); errors name ``name`` and what was expected."""
    from dragon_widgets.core import images as core

    if isinstance(image, (str, Path, bytes, bytearray, memoryview)) or hasattr(image, "read"):
        return core.open_image(image, name)
    if isinstance(image, (np.ndarray, Image.Image)):
        return core.to_rgb_array(image, name)
    raise TypeError(f"{name} must be a numpy array, a PIL image, a file path or the bytes of an image file, "
                    f"got {type(image).__name__}")


#: Said once when an image is loaded into an app on the embedded model.
EMBEDDED_LIMITS = ("Note: the built-in model is a small 64×64 model that knows flat shapes on smooth backgrounds; on "
                   "a photo it invents objects. For photos load Stable Diffusion on a GPU: "
                   "EditorApp(image, pipe=dw.load_pipeline('runwayml/stable-diffusion-v1-5', device='cuda')).")

#: Colour of the result check's overlay: boxes around regions outside the edit that changed strongly.
INVENTED_COLOR = (255, 0, 0)


def _preview_png(image: Any, boxes: list | None = None) -> bytes:
    """PNG for the preview pane: small images scaled up crisply, large ones scaled down; ``boxes`` ([x0, y0, x1,
    y1] in image pixels: the result check's invented regions) are outlined in :data:`INVENTED_COLOR`."""
    arr = _imaging.to_rgb_array(image, "preview")
    h, w = arr.shape[:2]
    k = PREVIEW_SIDE / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    img = Image.fromarray(arr).resize(size, Image.NEAREST if k >= 1 else Image.LANCZOS)
    if boxes:
        from PIL import ImageDraw

        draw = ImageDraw.Draw(img)
        for x0, y0, x1, y1 in boxes:
            draw.rectangle([x0 * k - 2, y0 * k - 2, x1 * k + 1, y1 * k + 1], outline=INVENTED_COLOR, width=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(level, plain-words message) for an exception raised by a run."""
    from dragon_widgets.core.errors import is_out_of_memory
    from dragon_widgets.engine import EditCancelled, GuidanceError, ModelNotAvailableError

    text = str(exc) or type(exc).__name__
    if isinstance(exc, (EditCancelled, KeyboardInterrupt)):
        return "warning", "Cancelled. Your drawing and the previous result are kept."
    if isinstance(exc, ModelNotAvailableError):
        return "danger", f"The model is not available: {text}"
    if is_out_of_memory(exc):
        return "danger", ("Out of memory. Try a smaller image or close other notebooks; on a GPU load the model "
                          "in float16 (dw.load_pipeline(..., dtype=torch.float16)). Your drawing is kept.")
    if isinstance(exc, GuidanceError):
        return "danger", "The guidance diverged (NaN). Lower the energy scale under Advanced and run again."
    if isinstance(exc, (ValueError, TypeError)):
        return "danger", f"Cannot run this edit: {text}"
    return "danger", f"Unexpected error ({type(exc).__name__}): {text}"


def done_message(label: str, seconds: float, inverted: float, result: Any, loaded: float = 0.0) -> str:
    """The status after a run, with this run's own times: loading the model when this run did (the first one),
    the inversion only when this run did one (a cached inversion's old time is not repeated), plus the
    reference's inversion for Appearance/Paste."""
    t = result.timings
    source_invert = result.source.timings.get("invert", result.source.timings.get("generate", 0.0))
    reference = max(0.0, t.get("invert", 0.0) - source_invert)
    parts = [f"model load {loaded:.1f} s"] if loaded > 0 else []
    parts.append(f"edit {t.get('edit', 0.0):.1f} s")
    parts.append(f"inversion {inverted:.1f} s" if inverted > 0 else "inversion reused")
    if reference > 0:
        parts.append(f"reference inversion {reference:.1f} s")
    return f"Done: {label.lower()} in {seconds:.1f} s ({', '.join(parts)})."


def _without_bank(result: Any) -> Any:
    """A copy of an EditResult whose source drops its memory bank (undo and export need only images and log)."""
    if result.source.bank is None:
        return result
    return dataclasses.replace(result, source=dataclasses.replace(result.source, bank=None))


def _plain_text(markup: str) -> str:
    """An HTML widget's value as the text a reader sees (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


class EditorApp(W.VBox):
    """The drag-style editor: ``EditorApp()`` opens a built-in scene on the embedded model.

    Every run records a light trace and measures the edit (background PSNR, handle distances; shown under the
    result and kept in ``result.metrics``); the *Inspect* button shows the inspection panels of the result in
    place, and :meth:`inspect` returns them.

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
    pre_invert : bool
        Inside a running kernel, start inverting an image in the worker thread as soon as it is loaded (or
        becomes the input again), so that Run goes straight to editing (see :meth:`prepare`).
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
        pre_invert: bool = True,
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
        self.pre_invert = bool(pre_invert)
        self._pre_job: _runner.Job | None = None  # the background inversion of the current image (prepare())
        self._pre_for: tuple | None = None  # (image, prompt, preset) it inverts
        self._pre_gen = 0  # bumped to stop it: its on_step returns False once its generation is stale
        self._job: _runner.Job | None = None
        self._cancel_requested = False
        self._busy = False
        self.export_dir = Path(export_dir)
        self.result: Any = None
        self.history: list[dict] = []
        self.last_error: BaseException | None = None
        self._steps: list[Any] = []  # undo order: "edit" (an entry of history) or a loaded image's previous state
        self._kept_drawings: dict[str, Any] = {}  # drawing layers the current mode's tools cannot edit
        self._preview_before_run = b""
        self._run_inversion = 0.0
        self._run_load = 0.0
        self._told_limits = False  # the embedded model's limits are said once, on the first image loaded

        self.canvas = DragCanvas(image, tools=list(_ui_mode(mode).tools), box_to_mask=box_to_mask)
        self.reference_canvas = DragCanvas(reference, tools=REFERENCE_TOOLS, box_to_mask=box_to_mask)
        self.reference_canvas.tool = "box"
        self.canvas.display_width = fit_display_width(self.canvas.size, CANVAS_SIDE)
        self.reference_canvas.display_width = fit_display_width(self.reference_canvas.size, REFERENCE_SIDE)
        self.canvas.on_upload(self._uploaded)
        self.reference_canvas.on_upload(self._reference_uploaded)
        self.params = ParamPanel(self._initial_preset(), prompt if prompt is not None else caption)
        self.params.set_size(self.canvas.width, self.canvas.height)

        self.mode_selector = W.ToggleButtons(options=[(d.label, d.name) for d in _ui_modes()], value=mode,
                                             style={"button_width": "auto"})
        self.hint = W.HTML()
        self.run_button = W.Button(description="Run", button_style="primary", icon="play")
        self.cancel_button = W.Button(description="Cancel", button_style="warning", icon="stop", disabled=True)
        self.progress = W.IntProgress(value=0, min=0, max=1, description="", layout=W.Layout(width="200px"))
        self.status = W.HTML(value="Ready.")
        self.preview_label = W.HTML("<b>Preview</b>")
        self.preview = W.Image(value=_preview_png(image), format="png",
                               layout=W.Layout(width="100%", max_width=f"{PREVIEW_SIDE}px", height="auto"))
        self.compare = CompareView(image, layout=W.Layout(width="100%"))
        self.undo_edit_button = W.Button(description="Undo", icon="undo", disabled=True,
                                         tooltip="Undo the last edit or image load")
        self.use_result_button = W.Button(description="Use result as input", icon="arrow-left", disabled=True)
        self.export_button = W.Button(description="Export", icon="download", disabled=True)
        for b in (self.run_button, self.cancel_button, self.undo_edit_button, self.use_result_button,
                  self.export_button):
            b.layout.width = "auto"  # full labels (a fixed width cut "Use result as i…")
            b.add_class("dw-wide-button")
        self.history_html = W.HTML()
        # Tracebacks as HTML, not an ipywidgets.Output: some ipywidgets 7 front ends cannot show an Output
        # (ipywidgets 7.8.5 in classic Notebook fails to render the whole app).
        self.details = W.HTML(layout=W.Layout(max_height="160px", overflow="auto"))
        self.details.add_class("dw-error-details")
        self.inspect_tab = _inspect_tab.InspectTab()  # Inspect toggle + panels, metrics line, Advanced trace level
        self.params.advanced_box.children = (*self.params.advanced_box.children, self.inspect_tab.level_box)

        self.reference_box = W.VBox([W.HTML("<b>Reference image</b>"), self.reference_canvas])
        self.reference_box.add_class("dw-reference-box")
        # Layout (widgets/_style.js): canvas left, controls + result right when the app is >= 900 px wide,
        # stacked below that. No Layout.gap: ipywidgets 7 lacks it.
        canvases = W.HBox([self.canvas, self.reference_box])
        canvases.add_class("dw-editor-canvases")
        left = W.VBox([W.HTML("<b>Image</b> <small>(Open image… or drop a file on it to edit your own)</small>"),
                       canvases])
        left.add_class("dw-editor-left")
        preview_cell = W.VBox([self.preview_label, self.preview])
        preview_cell.add_class("dw-preview-cell")
        compare_cell = W.VBox([W.HTML("<b>Before / after</b>"), self.compare])
        compare_cell.add_class("dw-compare-cell")
        result_row = W.HBox([preview_cell, compare_cell])
        result_row.add_class("dw-editor-result")
        right = W.VBox([
            self.params.basic,
            W.HBox([self.run_button, self.cancel_button, self.progress]),
            self.status,
            result_row,
            self.inspect_tab.metrics,
            W.HBox([self.undo_edit_button, self.use_result_button, self.export_button, self.inspect_tab.toggle]),
            self.params.advanced,  # below the result: opening it never pushes the result out of view
            self.history_html,
            self.details,
        ])
        right.add_class("dw-editor-right")
        body = W.HBox([left, right])
        body.add_class("dw-editor-body")
        super().__init__([
            W.HTML("<h3 style='margin:4px 0'>DragonDiffusion editor</h3>"),
            self.mode_selector,
            self.hint,
            body,
            self.inspect_tab.container,
        ])
        self.add_class("dw-editor-app")

        self.mode_selector.observe(lambda ch: self._mode_changed(ch["new"], ch["old"]), "value")
        self.run_button.on_click(lambda _b: self.run(wait=False))
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.undo_edit_button.on_click(lambda _b: self.undo_edit())
        self.use_result_button.on_click(lambda _b: self.use_result_as_input())
        self.export_button.on_click(lambda _b: self._export_clicked())
        for w in (self.params.dx, self.params.dy, self.params.scale):
            w.observe(lambda _ch: self._update_paste_preview(), "value")
        self.reference_canvas.observe(lambda _ch: self._update_paste_preview(), "mask_data")
        self.canvas.observe(self._arrow_changed, "arrow")
        for c in (self.canvas, self.reference_canvas):
            c.observe(self._box_note_changed, "box_note")
        self._offer_model_fields()
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

    def _offer_model_fields(self) -> None:
        """Offer only the Advanced fields the model can use: the image-prompt scale needs an IP-Adapter loaded
        (``dw.load_image_prompt(pipe)``); the embedded model has none."""
        has_adapter = False
        if self._pipe is not None:
            from dragon_widgets.engine.image_prompt import has_ip_adapter

            has_adapter = has_ip_adapter(self._pipe)
        self.params.set_unavailable(set() if has_adapter else {"ip_scale"})

    def on_embedded_model(self) -> bool:
        """True when the app edits with the package's small embedded model (the default)."""
        if self._pipe is None:
            return True
        from dragon_widgets.engine.pipeline import EMBEDDED_ID, model_id

        return model_id(self._pipe) == EMBEDDED_ID

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
        return _plain_text(self.status.value)

    @property
    def metrics_text(self) -> str:
        """The metrics line under the result as plain text ("" before the first run): background PSNR outside the
        edited region and, for point edits, the handle → target distance before and after (``result.metrics``)."""
        return _plain_text(self.inspect_tab.metrics.value)

    @property
    def running(self) -> bool:
        """True from Run until the result (or error) is shown."""
        return self._busy

    # ------------------------------------------------------------------ UI reactions
    def _mode_changed(self, mode: str, old: str | None = None) -> None:
        desc = _ui_mode(mode)
        if old is not None and old != mode:  # a drawing stays with the modes whose tools can edit it
            before = _ui_mode(old)
            _drawings.switch(self.canvas, self._kept_drawings, before.tools, desc.tools, before.mask_meaning,
                             desc.mask_meaning)
            note = self._mask_meaning_note(before, desc)
            if note:
                self._set_status(note, "")
        self.canvas.mask_meaning = desc.mask_meaning or "object"
        self.canvas.tools = list(desc.tools)
        if self.canvas.tool not in desc.tools:
            self.canvas.tool = desc.tools[0]
        self.params.set_mode(mode)
        self.reference_box.layout.display = "" if desc.reference else "none"
        self._fit_canvases(desc.reference)
        self.preview_label.value = "<b>Paste preview</b>" if mode == "paste" else "<b>Preview</b>"
        self.hint.value = f"<i>{html.escape(desc.hint)}</i>"
        self._update_paste_preview()

    def _fit_canvases(self, with_reference: bool) -> None:
        """Display sizes: the image canvas alone at :data:`CANVAS_SIDE`; with the reference canvas beside it both
        smaller, so the two canvases, Run and the result fit a 1440×900 screen."""
        side, ref = ((CANVAS_SIDE_WITH_REFERENCE, REFERENCE_SIDE_WITH_IMAGE) if with_reference
                     else (CANVAS_SIDE, REFERENCE_SIDE))
        self.canvas.display_width = fit_display_width(self.canvas.size, side)
        self.reference_canvas.display_width = fit_display_width(self.reference_canvas.size, ref)

    def _mask_meaning_note(self, old: Any, new: Any) -> str:
        """What the person is told when the painted mask changes meaning with the mode ("" when it does not)."""
        from dragon_widgets.engine.ui_modes import MASK_MEANINGS

        if not (old.mask_meaning and new.mask_meaning) or old.mask_meaning == new.mask_meaning:
            return ""
        kept = _drawings.drawn(self._kept_drawings.get(_drawings.layer_key("mask_data", old.mask_meaning)))
        if not kept:
            return ""
        shown = "shown" if self.canvas.mask.any() else "empty"
        return (f"{old.label}'s {MASK_MEANINGS[old.mask_meaning]} is kept for {old.label} (it comes back when you "
                f"switch back); {new.label} paints its own {MASK_MEANINGS[new.mask_meaning]} ({shown}).")

    def _arrow_changed(self, change: dict) -> None:
        if self.mode == "paste" and change["new"]:
            dx, dy = self.canvas.offset
            self.params.dx.value, self.params.dy.value = int(round(dx)), int(round(dy))

    def _box_note_changed(self, change: dict) -> None:
        if change["new"]:
            self._set_status(change["new"], "warning")

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
        self.undo_edit_button.disabled = running or not self._steps

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
        trace_level = self.inspect_tab.level.value
        self._cancel_requested = False
        self._busy = True
        self.last_error = None
        self._preview_before_run = self.preview.value  # shown again if this run fails or is cancelled
        self._run_inversion = 0.0  # seconds this run spends inverting (0 when the inversion is reused)
        self._run_load = 0.0  # seconds this run spends loading the model (the first run only)
        self.progress.value, self.progress.max, self.progress.bar_style = 0, 1, "info"
        self._set_running(True)
        self._set_status("Starting…")
        t0 = time.perf_counter()
        if self._pre_for is not None and not self._prepares(image, prompt, preset):
            self._pre_gen += 1  # the background inversion is of another image/prompt: stop it

        def work(job: _runner.Job) -> Any:
            self._wait_for_prepare(job)  # first: it may be loading the model, which this run then uses
            if self._editor is None:
                job.post(self._set_status, "Loading the model…")
                t_load = time.perf_counter()
                editor = self.editor
                self._run_load = time.perf_counter() - t_load
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

            def on_reference_step(step: int, total: int, _preview: Any = None) -> None:
                job.post(self._on_progress, "Inverting the reference", step, total, None)

            result = _inspect_tab.edit_with_trace(editor, src, edit, seed=seed, on_step=on_step,
                                                  on_reference_step=on_reference_step, level=trace_level,
                                                  preset=preset)
            job.post(self._set_status, "Measuring the edit…")
            try:
                result.metrics = _inspect_tab.measure(editor, result)
            except Exception as exc:  # the edit stands without its metrics
                result.metrics = {"error": f"{type(exc).__name__}: {exc}"}
            return result

        def finish(result: Any, error: BaseException | None) -> None:
            self._finish(mode, image, result, error, time.perf_counter() - t0)

        self._job = _runner.start(work, finish, wait=wait)
        return self.result if wait and self.last_error is None else None

    def _source(self, editor: Any, image: np.ndarray, prompt: str, preset: Any, job: _runner.Job) -> Any:
        """The inversion to edit: the editor's inversion cache has it when this image was inverted before with
        this prompt and preset (an earlier edit, Undo, a reloaded image, :meth:`prepare`), else it is made now."""
        if not editor.has_inversion(image, prompt, preset=preset):
            job.post(self._set_status, "Inverting the image…")

        def on_step(step: int, total: int, _preview: Any = None) -> None:
            job.post(self._on_progress, "Inverting the image", step, total, None)

        src = editor.invert(image, prompt=prompt, on_step=on_step, preset=preset)
        self._run_inversion = 0.0 if src.reused else src.timings.get("invert", 0.0)
        return src

    # ------------------------------------------------------------------ inverting ahead of Run
    def prepare(self) -> None:
        """Start inverting the current image (with the current prompt and preset) in the worker thread, so that
        the next Run edits at once. Only inside a running kernel and with ``pre_invert`` on; loading an image,
        *Use result as input* and Undo call it. A newer image or Cancel stops it; Run waits for it to finish,
        and a failure here is left to Run to report."""
        if not self.pre_invert or self.running or _runner._main_loop() is None:
            return
        self._pre_gen += 1
        gen = self._pre_gen
        image, prompt = self.canvas.image_array, self.params.prompt.value
        preset = self.params.preset_for(self.mode)
        self._pre_for = (image, prompt, preset)
        previous = self._pre_job

        def work(_job: _runner.Job) -> Any:
            if previous is not None:
                previous.done.wait()  # one inversion at a time (a stale one stops at its next step)
            if gen != self._pre_gen:
                return None
            return self.editor.invert(image, prompt=prompt, preset=preset,
                                      on_step=lambda *_a: gen == self._pre_gen)

        self._pre_job = _runner.start(work, lambda _result, _error: None, wait=False)

    def _prepares(self, image: np.ndarray, prompt: str, preset: Any) -> bool:
        """Whether the background inversion is of this image with this prompt and the same inversion settings."""
        from dragon_widgets.engine.inversion_cache import INVERSION_FIELDS

        pre_image, pre_prompt, pre_preset = self._pre_for
        return (pre_prompt == prompt and pre_image.shape == image.shape and np.array_equal(pre_image, image)
                and all(getattr(pre_preset, f) == getattr(preset, f) for f in INVERSION_FIELDS))

    def _wait_for_prepare(self, job: _runner.Job) -> None:
        """In Run's worker: let the background inversion end (it fills the editor's inversion cache)."""
        pre = self._pre_job
        if pre is None or pre.done.is_set():
            return
        job.post(self._set_status, "Inverting the image…")
        pre.done.wait()

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
            if self._preview_before_run:  # not the cancelled run's noisy x̂0: the previous result (or input)
                self.preview.value = self._preview_before_run
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
            if self.history:  # older results keep their image, log and metrics, not their memory bank (GBs for
                # SD) or trace
                self.history[-1]["result"] = _inspect_tab.without_trace(_without_bank(self.history[-1]["result"]))
            self.history.append({"mode": mode, "input": image, "result": result, "seconds": seconds})
            self._steps.append("edit")
            self.compare.set_images(image, result.image)
            self.inspect_tab.set_result(result)
            self.preview.value = self._result_preview(result)
            self.progress.value = self.progress.max
            done = done_message(_ui_mode(mode).label, seconds, self._run_inversion, result, self._run_load)
            n = _inspect_tab.invented_count(result.metrics)
            if n:  # said in words and not in green: the edit changed something it was not asked to
                self.progress.bar_style = "warning"
                self._set_status(f"{done} But {n} region{'s' if n > 1 else ''} outside the edit changed strongly "
                                 "(boxed in red on the preview): check the result.", "warning")
            else:
                self.progress.bar_style = "success"
                self._set_status(done, "success")
        self._job = None
        self._busy = False
        self._set_running(False)
        self._render_history()
        self._offer_model_fields()  # an adapter may have been loaded into the pipeline since
        if error is not None:
            self._update_paste_preview()  # Paste shows its live preview again

    @staticmethod
    def _result_preview(result: Any) -> bytes:
        """The preview of a result, with the result check's invented regions boxed in red."""
        return _preview_png(result.image, (getattr(result, "metrics", None) or {}).get("invented_boxes"))

    def cancel(self) -> None:
        """Stop the running edit at the next sampler step (drawn state and earlier results are kept)."""
        if not self.running:
            return
        self._pre_gen += 1  # a background inversion Run is waiting for stops too
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
        self._kept_drawings.clear()
        self.compare.set_images(self.result.image)
        self.preview.value = _preview_png(self.result.image)
        self._set_status("The result is now the input image.", "success")
        self._update_paste_preview()
        self.prepare()

    def undo_edit(self) -> None:
        """Undo the last step: forget the last edit and go back to the image it started from, or, after
        :meth:`load_image`, bring back the previous image with its drawings and result."""
        if not self._steps or self.running:
            return
        step = self._steps.pop()
        if step != "edit":
            self._restore_before_load(step)
            return
        last = self.history.pop()
        self.canvas.set_image(last["input"], keep_drawing=True)
        self.preview.value = _preview_png(last["input"])
        # the state before this edit: the previous edit's result, unless an image was loaded in between
        prev = self.history[-1] if self.history and self._steps and self._steps[-1] == "edit" else None
        self.result = prev["result"] if prev else None
        self.inspect_tab.set_result(self.result)
        if prev:
            self.compare.set_images(prev["input"], prev["result"].image)
            self.preview.value = self._result_preview(prev["result"])
        else:
            self.compare.set_images(last["input"])
        self._set_status("Undid the last edit.", "")
        self._set_running(False)
        self._render_history()
        self.prepare()  # normally in the editor's inversion cache already: nothing to do

    # ------------------------------------------------------------------ your own image
    def load_image(self, image: Any, *, prompt: str | None = None, name: str | None = None) -> None:
        """Edit ``image`` (numpy array, PIL image, file path, or the bytes of an image file) from now on.

        It is converted by the engine's normaliser (EXIF orientation, alpha over white, 16-bit) and scaled down
        to at most ``LOAD_MAX_SIDE`` px; the drawing is cleared, and **Undo** brings back the previous image with
        its drawings and result. ``prompt`` replaces the prompt (keep it describing the image). A bad file raises
        ``ValueError``/``TypeError`` and leaves everything as it was. *Open image…* under the canvas and a file
        dropped on the canvas calls this.
        """
        if self.running:
            raise RuntimeError("An edit is running: wait for it (or press Cancel) before loading an image.")
        label = name or (Path(image).name if isinstance(image, (str, Path)) else "the image")
        arr = open_image(image, label)
        h, w = arr.shape[:2]
        note = ""
        if max(h, w) > LOAD_MAX_SIDE:
            k = LOAD_MAX_SIDE / max(h, w)
            arr = np.asarray(Image.fromarray(arr).resize((max(8, round(w * k)), max(8, round(h * k))), Image.LANCZOS))
            note = f", scaled down from {w}×{h}"
        self._steps.append({
            "image": self.canvas.image_array, "drawing": _drawings.snapshot(self.canvas),
            "kept": dict(self._kept_drawings), "result": self.result, "compare": self.compare.snapshot(),
            "preview": self.preview.value, "prompt": self.params.prompt.value,
        })
        self._show_image(arr)
        self.result = None
        self.inspect_tab.set_result(None)  # the metrics line and the Inspect panels belonged to the old image
        old_prompt = self.params.prompt.value
        self.params.prompt.value = prompt if prompt is not None else ""
        self.details.value = ""
        text = f"Loaded {label} ({arr.shape[1]}×{arr.shape[0]} px{note}). Draw on it and press Run; " \
               "Undo brings back the previous image."
        if prompt is None and old_prompt:
            text += " The prompt described the previous image, so it was cleared: describe this one in it."
        level = "success"
        if self.on_embedded_model() and not self._told_limits:
            self._told_limits = True
            level = "warning"
            text += " " + EMBEDDED_LIMITS
        self._set_status(text, level)
        self._set_running(False)
        self.prepare()

    def _show_image(self, arr: np.ndarray) -> None:
        self.canvas.set_image(arr, keep_drawing=False)
        self._fit_canvases(_ui_mode(self.mode).reference)
        self._kept_drawings.clear()
        self.params.set_size(self.canvas.width, self.canvas.height)
        self.compare.set_images(arr)
        self.preview.value = _preview_png(arr)
        self._update_paste_preview()

    def _restore_before_load(self, step: dict) -> None:
        self._show_image(step["image"])
        _drawings.restore(self.canvas, step["drawing"])
        self._kept_drawings = dict(step["kept"])
        self.result = step["result"]
        self.inspect_tab.set_result(self.result)  # its metrics line (and Inspect, when it still has its trace)
        self.compare.restore(step["compare"])
        self.preview.value = step["preview"]
        self.params.prompt.value = step["prompt"]
        self._set_status("Brought back the previous image.", "")
        self._set_running(False)
        self._update_paste_preview()
        self.prepare()  # its inversion is normally still in the editor's inversion cache

    def _uploaded(self, data: bytes, name: str) -> None:
        """A file opened or dropped on the image canvas (binary, from the page)."""
        try:
            self.load_image(data, name=name)
        except (ValueError, TypeError, RuntimeError, OSError) as exc:
            self.last_error = exc
            self._set_status(f"Could not load {name}: {exc}" if name not in str(exc) else str(exc), "danger")
            raise ValueError(str(exc)) from None  # the canvas says so too and keeps its image

    def _reference_uploaded(self, data: bytes, name: str) -> None:
        """A file opened or dropped on the reference canvas: the new reference image (its drawing is cleared)."""
        from ._upload import decode_image_file

        try:
            arr = decode_image_file(data, name)
        except ValueError as exc:
            self._set_status(str(exc), "danger")
            raise
        self.reference_canvas.set_image(arr, keep_drawing=False)
        self._fit_canvases(_ui_mode(self.mode).reference)
        self._set_status(f"Loaded {name} as the reference image; box the object in it.", "success")
        self._update_paste_preview()

    def inspect(self) -> Any:
        """The :class:`~dragon_widgets.widgets.panels.InspectorApp` of the latest result (the one the Inspect
        toggle shows): x̂₀ per step, energies and the gradient map of the applied update; per-term gradient maps,
        correspondence and attention too when the Advanced panel's "Inspect records" level asked for them on that
        run."""
        if self.result is None:
            raise ValueError("There is no result to inspect yet: run an edit first (the Run button or app.run()).")
        if self.inspect_tab.trace is None:
            raise ValueError("The current result has no trace: only the latest run keeps one (undo went back to an "
                             "older result); run the edit again to inspect it.")
        return self.inspect_tab.inspector()

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
