"""Behaviour lock for refactors: every edit mode, generation and reconstruction on the tiny random SD model and
on the embedded model, written as arrays (``save``) or compared bit for bit with arrays saved earlier (``check``).

    python scripts/edit_fingerprints.py save  /tmp/fp-before   # on the commit before a refactor
    python scripts/edit_fingerprints.py check /tmp/fp-before   # after it: exit 1 on any difference

``save`` also writes one edit log per mode (``logs/<model>-<mode>``); ``check`` replays each of them and compares
the replay with the logged result array. Bit-identity holds on one machine and one torch build only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def _scene():
    img = np.zeros((100, 200, 3), np.uint8)
    img[..., 0] = np.linspace(40, 200, 200)[None].astype(np.uint8)
    img[..., 1] = 120
    img[..., 2] = np.linspace(200, 60, 100)[:, None].astype(np.uint8)
    mask = np.zeros((100, 200), bool)
    mask[30:60, 40:80] = True
    img[mask] = (250, 30, 30)
    return img, mask


def _edits(dw, img, m):
    region = np.pad(np.ones((60, 150), bool), ((20, 20), (25, 25)))
    return {
        "move": dw.Move(mask=m, offset=(40, 10)),
        "resize": dw.Move(mask=m, offset=(10, 0), scale=1.3),
        "drag": dw.Drag(points=[((60, 45), (90, 50)), ((150, 20), (140, 30))], mask=region),
        "landmark": dw.Drag(points=[((60, 45), (90, 50))], content=False),
        "appearance": dw.ReplaceAppearance(mask=m, reference=img[:, ::-1].copy(), reference_mask=m[:, ::-1].copy()),
        "paste": dw.Paste(reference=img, reference_mask=m, offset=(80, 5), scale=0.8),
    }


def _editors(dw):
    from dragon_widgets.models.random_sd import random_sd_pipeline

    sd = dw.get_preset("sd15")
    short = sd.replace(name="sd15-short", num_steps=10, guided_until=6, dense_until=2, time_travel_steps=(4,),
                       time_travel_rounds=2, sde_window=(1, 5), ip_window=(2, 4), resolution=128)
    yield "tiny", dw.DragonEditor(random_sd_pipeline("tiny", 0), preset=short)
    yield "embedded", dw.DragonEditor(dw.load_pipeline(None))


def run(folder: Path, mode: str) -> int:
    import dragon_widgets as dw

    img, m = _scene()
    bad = 0
    for name, editor in _editors(dw):
        arrays = {}
        src = editor.invert(img, prompt="a red square")
        arrays["bank_zT"] = src.bank.z_T.float().numpy()
        arrays["reconstruct"] = editor.reconstruct(src)
        arrays["generate"] = np.asarray(editor.generate("a red circle", seed=1, size=(128, 128)).work_image)
        for kind, edit in _edits(dw, img, m).items():
            res = editor.edit(src, edit, seed=0)
            arrays[kind] = res.work_image
            arrays[kind + "_trace_x0"] = editor.edit(src, edit, seed=0, record=True).trace.steps[-1].x0
            if mode == "save":
                res.save(folder / "logs" / f"{name}-{kind}")
        path = folder / f"{name}.npz"
        if mode == "save":
            folder.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(path, **arrays)
            print(f"saved {len(arrays)} arrays to {path}")
            continue
        ref = np.load(path)
        for k, v in arrays.items():
            same = np.array_equal(ref[k], v)
            bad += not same
            print(f"{name:9s} {k:22s} {'identical' if same else 'DIFFERENT (max |Δ| = %g)' % np.abs(ref[k].astype(float) - v).max()}")
        for kind in _edits(dw, img, m):
            log = folder / "logs" / f"{name}-{kind}"
            again = dw.replay(log, editor=editor)
            same = np.array_equal(again.work_image, ref[kind])
            bad += not same
            print(f"{name:9s} replay {kind:15s} {'identical' if same else 'DIFFERENT'}")
    return 1 if bad else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("action", choices=["save", "check"])
    p.add_argument("folder")
    a = p.parse_args(argv)
    return run(Path(a.folder), a.action)


if __name__ == "__main__":
    sys.exit(main())
