"""Keep third-party chatter (transformers / diffusers / huggingface_hub log lines, progress bars and Python
warnings) out of the CLI and the app. Every context manager here restores the previous state on exit, so a
library user's own logging setup is untouched outside the block (torch-free; imports the libraries lazily)."""

from __future__ import annotations

import contextlib
import importlib
import logging
import warnings
from typing import Iterator

#: Libraries whose loaders talk while a pipeline loads.
LIBRARIES = ("diffusers", "transformers", "huggingface_hub")
#: Modules whose Python warnings the CLI hides (they are not about the user's input).
_THIRD_PARTY_MODULES = r"(diffusers|transformers|huggingface_hub|torch|accelerate|safetensors|tqdm)(\.|$)"

# (module, is-enabled, disable, enable): each library's progress-bar switch.
_BARS = (
    ("diffusers.utils.logging", "is_progress_bar_enabled", "disable_progress_bar", "enable_progress_bar"),
    ("transformers.utils.logging", "is_progress_bar_enabled", "disable_progress_bar", "enable_progress_bar"),
    ("huggingface_hub.utils", None, "disable_progress_bars", "enable_progress_bars"),
)


@contextlib.contextmanager
def quiet_loaders(*, force: bool = False) -> Iterator[None]:
    """Within the block, the libraries' loggers log errors only and their progress bars are off; both are restored
    on exit. Without ``force`` a logger its user made more verbose than the default (INFO/DEBUG, e.g. by
    ``transformers.logging.set_verbosity_info()`` or ``TRANSFORMERS_VERBOSITY``) is left alone; the CLI and the
    app's worker pass ``force=True``."""
    bars = []
    for mod_name, is_on, off, on in _BARS:
        try:
            mod = importlib.import_module(mod_name)  # first import configures the library's logger: do it before
        except Exception:  # pragma: no cover - library absent
            continue
        if is_on is None:
            was_on = not mod.are_progress_bars_disabled()
        else:
            was_on = getattr(mod, is_on)()
        if was_on:
            getattr(mod, off)()
            bars.append(getattr(mod, on))
    levels = {}
    for name in LIBRARIES:
        log = logging.getLogger(name)
        if force or log.level in (logging.NOTSET, logging.WARNING):
            levels[name] = log.level
            log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for enable in bars:
            with contextlib.suppress(Exception):
                enable()


@contextlib.contextmanager
def quiet_warnings() -> Iterator[None]:
    """Within the block, Python warnings raised by third-party modules (torch, transformers, diffusers, …) are
    dropped; dragon_widgets' own warnings (e.g. a huge image was reduced) still show. Uses ``catch_warnings``,
    which is process-wide: meant for the CLI's single thread, not for worker threads."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=_THIRD_PARTY_MODULES)
        yield
