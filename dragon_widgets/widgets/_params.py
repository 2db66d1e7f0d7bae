"""Parameter controls built from the engine's presets and the UI mode descriptors: basic (prompt, seed, scale,
offset, as the mode's descriptor lists them) + advanced (the numbers of the mode's parameter class)."""

from __future__ import annotations

from typing import Any

import ipywidgets as W


def _ui_mode(name: str) -> Any:
    from dragon_widgets.engine.ui_modes import ui_mode

    return ui_mode(name)


def advanced_labels() -> dict[str, str]:
    """Every tunable number of every registered mode's parameter class → its label (the Advanced fields)."""
    from dragon_widgets.engine.edits import MODE_PARAMS

    out: dict[str, str] = {}
    for cls in MODE_PARAMS.values():
        out.update(cls.labels)
    return out


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
                                for k, label in advanced_labels().items()}
        self.reset = W.Button(description="Reset to preset", layout=W.Layout(width="140px"))
        self.advanced_box = W.VBox([*self.advanced_fields.values(), self.reset])
        self.advanced_box.layout.display = "none"
        self.preset_label = W.HTML()
        self.mode = "move"
        self._loading = False
        #: Advanced fields not offered because the model cannot use them (e.g. the image-prompt scale without an
        #: IP-Adapter); :meth:`set_unavailable` sets them.
        self.unavailable: set[str] = set()
        self.advanced_toggle.observe(self._toggle, "value")
        self.reset.on_click(lambda _b: self._reset())
        for k, wdg in self.advanced_fields.items():
            wdg.observe(lambda ch, k=k: self._changed(k, ch["new"]), "value")
        self.basic = W.VBox([self.prompt, W.HBox([self.seed, self.scale]), W.HBox([self.dx, self.dy])])
        #: The Advanced toggle and its fields (the editor shows them below the result, so opening them never
        #: pushes the result out of view).
        self.advanced = W.VBox([W.HBox([self.advanced_toggle, self.preset_label]), self.advanced_box])
        self.widget = W.VBox([self.basic, self.advanced])
        self.set_mode("move")

    # ------------------------------------------------------------------
    def set_size(self, width: int, height: int) -> None:
        """Offset sliders span the image."""
        for s, n in ((self.dx, width), (self.dy, height)):
            s.min, s.max = -n, n

    def set_mode(self, mode: str) -> None:
        desc = _ui_mode(mode)
        self.mode = mode
        self.scale.layout.display = "" if "scale" in desc.controls else "none"
        self.dx.layout.display = self.dy.layout.display = "" if "offset" in desc.controls else "none"
        if desc.default_scale != 1.0 and self.scale.value == 1.0:
            self.scale.value = desc.default_scale
        self._load_fields()

    @property
    def preset_mode(self) -> str:
        """The preset mode whose parameters the current UI mode runs with."""
        return _ui_mode(self.mode).preset_mode

    def _params(self) -> Any:
        return self.base_preset.mode(self.preset_mode)

    def _load_fields(self) -> None:
        p = self._params()
        numbers = p.numbers()
        ov = self.overrides.get(self.preset_mode, {})
        self._loading = True
        try:
            for k, wdg in self.advanced_fields.items():
                wdg.layout.display = "" if k in numbers and k not in self.unavailable else "none"
                if k in numbers:
                    wdg.value = float(ov.get(k, getattr(p, k)))
        finally:
            self._loading = False
        n = len(ov)
        self.preset_label.value = (f"<small>preset <b>{self.base_preset.name}</b>, mode <b>{self.preset_mode}</b>"
                                   f"{f' ({n} changed)' if n else ''}</small>")

    def set_unavailable(self, keys: set[str]) -> None:
        """Hide the Advanced fields ``keys`` (the loaded model cannot use them); the others are shown again."""
        keys = set(keys)
        if keys != self.unavailable:
            self.unavailable = keys
            self._load_fields()

    def _changed(self, key: str, value: float) -> None:
        if self._loading:
            return
        default = float(getattr(self._params(), key))
        ov = self.overrides.setdefault(self.preset_mode, {})
        if value == default:
            ov.pop(key, None)
        else:
            ov[key] = float(value)
        self._load_fields()

    def _reset(self) -> None:
        self.overrides.pop(self.preset_mode, None)
        self._load_fields()

    def _toggle(self, change: dict) -> None:
        self.advanced_box.layout.display = "" if change["new"] else "none"
        self.advanced_toggle.description = "Advanced ▾" if change["new"] else "Advanced ▸"

    def preset_for(self, mode: str) -> Any:
        """The preset with this mode's advanced overrides applied."""
        key = _ui_mode(mode).preset_mode
        ov = self.overrides.get(key, {})
        if not ov:
            return self.base_preset
        return self.base_preset.with_mode(key, **ov)

    def set_advanced(self, **values: float) -> None:
        """Set advanced values of the current mode from code, e.g. ``set_advanced(w_edit=6)``."""
        numbers = self._params().numbers()
        bad = set(values) - set(numbers)
        if bad:
            raise ValueError(f"unknown parameters {sorted(bad)} for mode {self.mode!r}; choose from {sorted(numbers)}")
        for k, v in values.items():
            self.advanced_fields[k].value = float(v)
