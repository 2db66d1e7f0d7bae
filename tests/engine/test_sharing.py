"""Several editors on one pipeline (an EditorApp plus an edit from another cell, two apps): their runs are
serialised by a per-UNet lock, each result equals the one it gives alone, and the UNet comes back unchanged."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.sharing import pipeline_lock


def _processors(pipe) -> dict:
    return dict(pipe.unet.attn_processors)


def _hooks(pipe) -> int:
    return sum(len(m._forward_hooks) for m in pipe.unet.modules())


@pytest.fixture(scope="module")
def two_editors(tiny_sd, sd_preset):
    return dw.DragonEditor(tiny_sd, preset=sd_preset), dw.DragonEditor(tiny_sd, preset=sd_preset)


def _run_in_threads(jobs):
    out: dict = {}

    def body(key, fn):
        try:
            out[key] = fn()
        except BaseException as err:  # noqa: BLE001 - the test looks at it
            out[key] = err

    threads = [threading.Thread(target=body, args=(k, fn)) for k, fn in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


@pytest.mark.slow  # two editors, each edit run twice
def test_two_editors_on_one_pipeline_give_their_sequential_results(two_editors, tiny_source, scene_image):
    a, b = two_editors
    img, m = scene_image
    before, hooks = _processors(a.pipe), _hooks(a.pipe)
    move, drag = dw.Move(mask=m, offset=(40, 10)), dw.Drag(points=[((60, 45), (90, 50))])
    alone = {"move": np.asarray(a.edit(tiny_source, move, seed=3).image),
             "drag": np.asarray(b.edit(tiny_source, drag, seed=4).image)}
    for _ in range(2):
        out = _run_in_threads({"move": lambda: a.edit(tiny_source, move, seed=3),
                               "drag": lambda: b.edit(tiny_source, drag, seed=4),
                               "invert": lambda: dw.DragonEditor(a.pipe, preset=a.preset).invert(img, "a red square")})
        for key in ("move", "drag"):
            assert isinstance(out[key], dw.EditResult), out[key]
            assert np.array_equal(np.asarray(out[key].image), alone[key]), key
        assert torch.equal(out["invert"].bank.z_T, tiny_source.bank.z_T)
    after = _processors(a.pipe)
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)
    assert _hooks(a.pipe) == hooks and not pipeline_lock(a.pipe.unet).locked()


def test_a_queued_run_can_be_cancelled_and_one_editor_still_refuses_a_second_thread(two_editors, tiny_source,
                                                                                     scene_image):
    a, b = two_editors
    img, m = scene_image
    inside, release = threading.Event(), threading.Event()

    def hold_step(step, total, preview):
        if step == 1:
            inside.set()
            release.wait(60)

    before = _processors(a.pipe)
    first = threading.Thread(target=lambda: a.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), on_step=hold_step))
    first.start()
    try:
        assert inside.wait(60)
        with pytest.raises(RuntimeError, match="already running an edit"):  # the same editor from another thread
            a.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))
        result: dict = {}
        steps: list = []
        queued = lambda: b.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)),  # noqa: E731
                                on_step=lambda s, n, p: steps.append(s))
        waiting = threading.Thread(target=lambda: result.update(r=_catch(queued)))
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive() and steps == []  # queued behind the first editor, not running beside it
        t0 = time.perf_counter()
        b.cancel()
        waiting.join(5)
        assert time.perf_counter() - t0 < 0.5 and isinstance(result["r"], dw.EditCancelled)
    finally:
        release.set()
        first.join(120)
    after = _processors(a.pipe)
    assert all(after[k] is before[k] for k in before)
    b.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))  # both usable afterwards
    a.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))


def test_cancel_from_another_thread_stops_a_running_edit_within_half_a_second(tiny_editor, tiny_source, scene_image):
    img, m = scene_image
    inside, go = threading.Event(), threading.Event()
    result: dict = {}

    def on_step(step, total, preview):
        if step == 2:
            inside.set()
            go.wait(60)

    t = threading.Thread(target=lambda: result.update(
        r=_catch(lambda: tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), on_step=on_step))))
    t.start()
    assert inside.wait(60)
    tiny_editor.cancel()
    t0 = time.perf_counter()
    go.set()
    t.join(5)
    assert time.perf_counter() - t0 < 0.5 and isinstance(result["r"], dw.EditCancelled)


def test_an_edit_that_fails_restores_the_pipeline_for_the_other_editors(two_editors, tiny_source, scene_image):
    a, b = two_editors
    img, m = scene_image
    before, hooks = _processors(a.pipe), _hooks(a.pipe)

    def boom(step, total, preview):
        raise ZeroDivisionError("user callback failed")

    with pytest.raises(ZeroDivisionError):
        a.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), on_step=boom)
    after = _processors(a.pipe)
    assert all(after[k] is before[k] for k in before) and _hooks(a.pipe) == hooks
    assert not pipeline_lock(a.pipe.unet).locked()
    b.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))


def _catch(fn):
    try:
        return fn()
    except BaseException as err:  # noqa: BLE001 - the test looks at it
        return err


def test_the_feature_extractor_waits_for_an_editor_on_the_same_pipeline(tiny_editor):
    from dragon_widgets.inspect.features import FeatureExtractor

    pipe = tiny_editor.pipe
    img = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    fx = FeatureExtractor(pipe, layers=["up_blocks.1", "up_blocks.2"], timesteps=[261])
    alone = fx(img)
    result: dict = {}
    lock = pipeline_lock(pipe.unet)
    with lock:  # an editor's run holds the pipeline
        t = threading.Thread(target=lambda: result.update(r=_catch(lambda: fx(img))))
        t.start()
        time.sleep(0.3)
        assert t.is_alive() and "r" not in result and _hooks(pipe) == 0
    t.join(60)
    assert result["r"].keys() == alone.keys()
    assert all(torch.equal(result["r"][k], alone[k]) for k in alone)


def test_another_run_started_from_inside_an_edit_is_refused_instead_of_deadlocking(two_editors, tiny_source,
                                                                                   scene_image):
    a, b = two_editors
    img, m = scene_image
    seen: dict = {}

    def on_step(step, total, preview):
        if step == 1:
            seen["err"] = _catch(lambda: b.edit(tiny_source, dw.Move(mask=m, offset=(40, 10))))

    t = threading.Thread(target=lambda: seen.update(r=_catch(
        lambda: a.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), on_step=on_step))))
    t.start()
    t.join(120)
    assert not t.is_alive(), "deadlocked"
    assert isinstance(seen["r"], dw.EditResult)
    assert isinstance(seen["err"], RuntimeError) and "already running an edit on this pipeline" in str(seen["err"])
    b.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))  # b was left usable
