"""Parameter controls built from the engine's presets: basic (prompt, seed, scale, offset) + advanced."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import ipywidgets as W

#: UI modes → the preset's mode parameters (resize is a move with scale != 1).
PRESET_MODE = {"move": "move", "resize": "move", "drag": "drag", "appearance": "appearance", "paste": "paste"}
#: Advanced fields shown (numbers of dw.ModeParams), with a plain label.
ADVANCED = {
    "guidance_scale": "CFG scale",
    "energy_scale": "energy scale",
    "grad_scale": "gradient scale c",
    "w_edit": "w edit",
    "w_content": "w content",
    "w_contrast": "w contrast",
    "w_inpaint": "w inpaint",
    "sde_strength": "SDE η",
    "ip_scale": "image-prompt scale",
}
_LABEL = {"description_width": "initial"}


class ParamPanel:
    """Widgets for one app; :meth:`preset_for` applies the advanced overrides to a preset."""

    def __init__(self, preset: Any, prompt: str = "") -> None:
        self.base_preset = preset
        self.overrides: dict[str, dict[str, float]] = {}
        self.prompt = W.Text(value=prompt, description="Prompt", style=_LABEL, layout=W.Layout(width="100%"))
        self.seed = W.IntText(value=42, description="Seed", style=_LABEL, layout=W.Layout(width="140px"))
        self.scale = W.FloatSlider(value=1.0, min=0.25, max=2.5, step=0.05, description="Scale", style=_LABEL,
                                   continuous_update=False)
        self.dx = W.IntSlider(value=0, min=-64, max=64, description="dx", style=_LABEL, continuous_update=True)
        self.dy = W.IntSlider(value=0, min=-64, max=64, description="dy", style=_LABEL, continuous_update=True)
        self.advanced_toggle = W.ToggleButton(value=False, description="Advanced ▸", layout=W.Layout(width="120px"))
        self.advanced_fields = {k: W.FloatText(description=label, style=_LABEL, layout=W.Layout(width="220px"))
                                for k, label in ADVANCED.items()}
        self.reset = W.Button(description="Reset to preset", layout=W.Layout(width="140px"))
        self.advanced_box = W.VBox([*self.advanced_fields.values(), self.reset])
        self.advanced_box.layout.display = "none"
        self.preset_label = W.HTML()
        self.mode = "move"
        self._loading = False
        self.advanced_toggle.observe(self._toggle, "value")
        self.reset.on_click(lambda _b: self._reset())
        for k, wdg in self.advanced_fields.items():
            wdg.observe(lambda ch, k=k: self._changed(k, ch["new"]), "value")
        self.basic = W.VBox([self.prompt, W.HBox([self.seed, self.scale]), W.HBox([self.dx, self.dy])])
        self.widget = W.VBox([self.basic, W.HBox([self.advanced_toggle, self.preset_label]), self.advanced_box])
        self.set_mode("move")

    # ------------------------------------------------------------------
    def set_preset(self, preset: Any) -> None:
        self.base_preset = preset
        self.overrides.clear()
        self.set_mode(self.mode)

    def set_size(self, width: int, height: int) -> None:
        """Offset sliders span the image."""
        for s, n in ((self.dx, width), (self.dy, height)):
            s.min, s.max = -n, n

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.scale.layout.display = "" if mode in ("resize", "paste") else "none"
        self.dx.layout.display = self.dy.layout.display = "" if mode == "paste" else "none"
        if mode == "resize" and self.scale.value == 1.0:
            self.scale.value = 1.25
        if mode == "paste":
            self.scale.min = 0.25
        self._load_fields()

    def _params(self) -> Any:
        return self.base_preset.mode(PRESET_MODE[self.mode])

    def _load_fields(self) -> None:
        p = self._params()
        names = {f.name for f in fields(p)}
        ov = self.overrides.get(PRESET_MODE[self.mode], {})
        self._loading = True
        try:
            for k, wdg in self.advanced_fields.items():
                if k in names:
                    wdg.value = float(ov.get(k, getattr(p, k)))
        finally:
            self._loading = False
        n = len(ov)
        self.preset_label.value = (f"<small>preset <b>{self.base_preset.name}</b>, mode <b>{PRESET_MODE[self.mode]}</b>"
                                   f"{f' ({n} changed)' if n else ''}</small>")

    def _changed(self, key: str, value: float) -> None:
        if self._loading:
            return
        default = float(getattr(self._params(), key))
        ov = self.overrides.setdefault(PRESET_MODE[self.mode], {})
        if value == default:
            ov.pop(key, None)
        else:
            ov[key] = float(value)
        self._load_fields()

    def _reset(self) -> None:
        self.overrides.pop(PRESET_MODE[self.mode], None)
        self._load_fields()

    def _toggle(self, change: dict) -> None:
        self.advanced_box.layout.display = "" if change["new"] else "none"
        self.advanced_toggle.description = "Advanced ▾" if change["new"] else "Advanced ▸"

    def preset_for(self, mode: str) -> Any:
        """The preset with this mode's advanced overrides applied."""
        ov = self.overrides.get(PRESET_MODE[mode], {})
        if not ov:
            return self.base_preset
        return self.base_preset.with_mode(PRESET_MODE[mode], **ov)

    def set_advanced(self, **values: float) -> None:
        """Set advanced values of the current mode from code, e.g. ``set_advanced(w_edit=6)``."""
        bad = set(values) - set(self.advanced_fields)
        if bad:
            raise ValueError(f"unknown parameters {sorted(bad)}; choose from {sorted(self.advanced_fields)}")
        for k, v in values.items():
            self.advanced_fields[k].value = float(v)
