"""energies_along: an edit's energy terms on another inverted trajectory, without guidance (random tiny pipeline)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def setup():
    import dragon_widgets as dw
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    short = dw.get_preset("embedded").replace(num_steps=12, guided_until=8, dense_until=4, time_travel_steps=(6,),
                                                sde_window=(4, 6), ip_window=(4, 6))
    editor = dw.DragonEditor(random_embedded_pipeline(0), preset=short)  # 12 steps: the same code, faster
    img = np.zeros((64, 64, 3), np.uint8)
    img[:] = (30, 60, 200)
    img[20:36, 12:28] = (220, 30, 30)
    src = editor.invert(img, prompt="a red square")
    mask = np.zeros((64, 64), bool)
    mask[20:36, 12:28] = True
    return editor, src, dw.Move(mask=mask, offset=(16, 0))


def test_on_the_source_itself_unchanged_cells_score_exactly(setup):
    from dragon_widgets.inspect import energies_along
    from dragon_widgets.engine.sampler import schedule_is_guided

    editor, src, move = setup
    s = energies_along(editor, src, move, src)
    p = editor.preset.mode("move")
    beta = editor.preset.attract_beta
    # content compares every background cell with itself: cosine 1, so w / (1 + β) per layer weight
    np.testing.assert_allclose(s.term("content"), p.w_content / (1 + beta) * sum(p.layer_weights), rtol=1e-5)
    # contrast repels the vacated cells' (normalised) similarity to themselves: 1
    np.testing.assert_allclose(s.term("contrast"), p.w_contrast * sum(p.layer_weights), rtol=1e-5)
    want = [i for i in range(editor.preset.num_steps) if schedule_is_guided(editor.preset, i)]
    assert list(s.index) == want and s.guided.all() and not s.round.any()
    assert np.all(np.isfinite(s.term("edit")))


def test_it_checks_its_sources(setup):
    from dragon_widgets.inspect import energies_along

    editor, src, move = setup
    with pytest.raises(TypeError, match="other"):
        energies_along(editor, src, move, np.zeros((64, 64, 3), np.uint8))
    small = editor.invert(np.zeros((32, 64, 3), np.uint8), prompt="a red square")
    with pytest.raises(ValueError, match="working size"):
        energies_along(editor, src, move, small)
