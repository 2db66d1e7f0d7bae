"""One step-event channel for every denoising/inversion loop (invert, generate, reconstruct, edit).

A loop builds a :class:`StepEvent` after each pass and hands it to a :class:`StepChannel`; whatever listens —
progress (the public ``on_step`` contract), previews, the trace recorder, the cancel token, or an observer of
your own — is an *observer*: a callable taking the event. The loop knows nothing about its listeners. An
observer may raise :class:`EditCancelled` to stop the run; its return value is ignored.

Costly data is produced only on demand: x̂₀ and its decoded image are computed the first time an observer asks
(:meth:`StepEvent.x0`, :meth:`StepEvent.image`) and shared by all observers of that event; per-term gradients,
features and attention are computed by the edit loop only when an observer declares it ``needs`` them (a set of
names from :data:`NEEDS`). Observing never changes the result: the update is the same with or without listeners.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

import numpy as np
import torch

PHASES = ("invert", "generate", "reconstruct", "edit")
#: What an observer may ask the edit loop to compute for it (``observer.needs``): per-term gradients,
#: the guidance features, the memory-bank attention queries/keys, the energy values.
NEEDS = frozenset({"energies", "gradients", "features", "attention"})


class EditCancelled(Exception):
    """Raised when an edit/inversion is cancelled (``editor.cancel()`` or ``on_step`` returned False)."""


class Observer(Protocol):
    """Anything callable with a :class:`StepEvent`; ``needs`` (optional) names data from :data:`NEEDS`."""

    def __call__(self, event: "StepEvent") -> Any: ...


@dataclass(eq=False)
class StepEvent:
    """One pass of a loop. ``index`` counts from 0 (noisiest first for generate/reconstruct/edit, the inversion's
    own order for invert); ``step = index + 1`` passes are done out of ``total``. Edit steps with time travel
    have several passes (``round`` 0..``rounds``−1); progress counts a step at its last round."""

    phase: str  # one of PHASES
    index: int
    total: int
    timestep: int
    latent: torch.Tensor  # the latent this pass produced (z_{t-1}; for invert the noisier latent)
    round: int = 0
    rounds: int = 1
    guided: bool = False  # edit: the energy gradient was applied on this pass
    energies: dict[str, torch.Tensor] = field(default_factory=dict)  # guided: term → w·E (detached scalar)
    gradient: torch.Tensor | None = None  # guided: the update g = Σ_regions masked ∇E, as applied
    term_gradients: dict[str, torch.Tensor] = field(default_factory=dict)  # needs "gradients": term → masked ∇E
    features: dict[str, list[torch.Tensor]] = field(default_factory=dict)  # needs "features": current/reference
    attention: dict[str, dict] = field(default_factory=dict)  # needs "attention": bank layer → {"q", "k", ...}
    predict_x0: Callable[[], torch.Tensor] | None = None  # lazy x̂₀ (None: the loop has no x̂₀, e.g. invert)
    decode: Callable[[torch.Tensor], np.ndarray] | None = None  # latent → uint8 (H, W, 3); set by the channel
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}, got {self.phase!r}")

    @property
    def step(self) -> int:
        """Passes done, 1-based (the ``step`` of ``on_step``)."""
        return self.index + 1

    @property
    def last_round(self) -> bool:
        """True on the pass that finishes the step (always, without time travel)."""
        return self.round == self.rounds - 1

    def x0(self) -> torch.Tensor | None:
        """The predicted clean latent x̂₀ of this pass, computed on first use (None when the loop has none)."""
        if "x0" not in self._cache:
            self._cache["x0"] = self.predict_x0() if self.predict_x0 is not None else None
        return self._cache["x0"]

    def image(self) -> np.ndarray | None:
        """x̂₀ decoded to uint8 (H, W, 3) at the working size, on first use; shared by every observer."""
        if "image" not in self._cache:
            x0 = self.x0()
            self._cache["image"] = self.decode(x0) if (x0 is not None and self.decode is not None) else None
        return self._cache["image"]


class StepChannel:
    """The observers of one run, called in order with each event; ``decode`` lets them see x̂₀ as an image."""

    def __init__(self, observers: Iterable[Observer] = (), decode: Callable[[torch.Tensor], np.ndarray] | None = None):
        self.observers = check_observers(observers)
        self.decode = decode

    def needs(self, what: str) -> bool:
        """Whether any observer asked for ``what`` (a name from :data:`NEEDS`)."""
        return any(what in getattr(o, "needs", ()) for o in self.observers)

    def emit(self, event: StepEvent) -> None:
        if event.decode is None:
            event.decode = self.decode
        for observer in self.observers:
            observer(event)


def check_observers(observers: Iterable[Observer] | None) -> list[Observer]:
    """A list of observers, or ``TypeError`` naming ``observers``."""
    if observers is None:
        return []
    if callable(observers):
        return [observers]
    try:
        out = list(observers)
    except TypeError:
        raise TypeError(f"observers must be a list of callables taking a dw.StepEvent, got {observers!r}") from None
    bad = [o for o in out if not callable(o)]
    if bad:
        raise TypeError(f"observers must be callables taking a dw.StepEvent; {bad[0]!r} is not callable")
    for o in out:
        unknown = set(getattr(o, "needs", ())) - NEEDS
        if unknown:
            raise ValueError(f"observer {o!r} needs unknown data {sorted(unknown)}; choose from {sorted(NEEDS)}")
    return out


class CancelToken:
    """A thread-safe cancel flag that is also an observer: once :meth:`cancel` is called, the next event raises
    :class:`EditCancelled`. The editor holds one (``editor.cancel()``) and clears it when a run starts."""

    needs = frozenset()

    def __init__(self) -> None:
        self._flag = threading.Event()

    def cancel(self) -> None:
        self._flag.set()

    def clear(self) -> None:
        self._flag.clear()

    @property
    def cancelled(self) -> bool:
        return self._flag.is_set()

    def is_set(self) -> bool:
        """``threading.Event``'s spelling of :attr:`cancelled` (the pipeline lock polls it while a run waits)."""
        return self._flag.is_set()

    def __call__(self, event: StepEvent) -> None:
        if self._flag.is_set():
            raise EditCancelled(f"the {event.phase} was cancelled")


class PreviewObserver:
    """x̂₀ as a PIL image after the first step (``first``: something to look at as soon as a run starts), every
    ``every`` steps and at the last step (at its last time-travel round), resized to ``size`` (W, H) when given. As
    an observer it calls ``callback(image, event)``; :meth:`image` serves others (the progress observer). Events
    without x̂₀ (inversion) give no preview."""

    needs = frozenset()

    def __init__(self, every: int = 5, size: tuple[int, int] | None = None,
                 callback: Callable[[Any, StepEvent], Any] | None = None, first: bool = True):
        if int(every) < 1:
            raise ValueError(f"every must be a positive number of steps, got {every!r}")
        self.every, self.size, self.callback, self.first = int(every), size, callback, bool(first)

    def due(self, event: StepEvent) -> bool:
        return event.last_round and ((self.first and event.step == 1) or event.step % self.every == 0
                                     or event.step == event.total)

    def image(self, event: StepEvent):
        """The preview of ``event`` if one is due (PIL image), else None."""
        if not self.due(event):
            return None
        arr = event.image()
        if arr is None:
            return None
        from PIL import Image

        img = Image.fromarray(arr)
        return img.resize(self.size, Image.BICUBIC) if self.size is not None else img

    def __call__(self, event: StepEvent) -> None:
        if self.callback is not None:
            img = self.image(event)
            if img is not None:
                self.callback(img, event)


class ProgressObserver:
    """The public ``on_step(step, total, preview) -> bool | None`` contract: called once per step (at its last
    round) with a preview from ``previews`` when one is due; returning ``False`` cancels the run."""

    needs = frozenset()

    def __init__(self, on_step: Callable[[int, int, Any], Any], previews: PreviewObserver | None = None):
        if not callable(on_step):
            raise TypeError(f"on_step must be a callable (step, total, preview), got {on_step!r}")
        self.on_step, self.previews = on_step, previews

    def __call__(self, event: StepEvent) -> None:
        if not event.last_round:
            return
        preview = self.previews.image(event) if self.previews is not None else None
        if self.on_step(event.step, event.total, preview) is False:
            raise EditCancelled(f"the {event.phase} was cancelled by on_step")
