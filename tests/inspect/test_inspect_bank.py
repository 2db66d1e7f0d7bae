"""Memory-bank attention shares on records whose attention is known by construction."""

import numpy as np
import pytest

from dragon_widgets.inspect import (attention_rows, attention_spread, bank_share_series, image_difference,
                                    mask_on_grid, query_attention, region_share)
from inspect_synthetic import BANK_LAYER

GRID = (4, 4)  # token grid (h, w) of a 16×16-pixel image: 4×4 pixels per token
ALPHA = 40.0  # query–key logit scale: exp(40 / √16) = e^10 on the chosen key


def source_and_target():
    """Object tokens in columns 0–1 of rows 1–2 (source), moved to columns 2–3 (target); pixel masks."""
    src, tgt = np.zeros((16, 16), bool), np.zeros((16, 16), bool)
    src[4:12, 0:8] = True
    tgt[4:12, 8:16] = True
    return src, tgt


def copying_record(concat: bool = False) -> dict:
    """One head; each target query reads the bank token two columns to its left, every other query its own
    place: keys are one-hot token codes, queries are ALPHA × the code of the token they read."""
    n = GRID[0] * GRID[1]
    codes = np.eye(n, dtype=np.float32)
    reads = np.arange(n)
    tgt_tokens = [r * 4 + c for r in (1, 2) for c in (2, 3)]
    reads[tgt_tokens] = np.array(tgt_tokens) - 2
    q = ALPHA * codes[reads]
    k = np.concatenate([np.zeros_like(codes), codes]) if concat else codes  # own tokens say nothing (logit 0)
    return {"q": q, "k": k, "heads": 1, "grid": GRID}


def chosen_weight(n_keys: int) -> float:
    e = np.exp(ALPHA / 4.0)
    return e / (e + n_keys - 1)


def test_mask_on_grid_takes_cells_at_least_half_covered():
    m = np.zeros((16, 16), bool)
    m[0:4, 0:2] = True  # half of cell (0, 0)
    m[4:5, 4:8] = True  # a quarter of cell (1, 1)
    g = mask_on_grid(m, GRID)
    assert g[0, 0] and not g[1, 1] and g.sum() == 1
    with pytest.raises(ValueError, match="2-D"):
        mask_on_grid(np.zeros(16, bool), GRID)


def test_share_of_a_copying_layer_is_the_known_weight():
    src, tgt = source_and_target()
    share = region_share(copying_record(), tgt, src)
    w = chosen_weight(16)
    other = (1 - w) / 15
    # target queries: their chosen key is in the source region, plus 3 of the other 15 keys' leftovers
    assert share.inside[0] == pytest.approx(w + 3 * other, rel=1e-4)
    # the other queries (neither region) read their own place, outside the source region: 4 leftovers
    assert share.outside[0] == pytest.approx(4 * other, rel=1e-4)
    assert share.uniform == pytest.approx(4 / 16) and (share.n_inside, share.n_outside) == (4, 8)


def test_uniform_attention_gives_the_token_fraction_and_full_spread():
    src, tgt = source_and_target()
    rec = dict(copying_record(), q=np.zeros((16, 16), np.float32))
    share = region_share(rec, tgt, src)
    np.testing.assert_allclose([share.inside[0], share.outside[0]], [share.uniform] * 2, rtol=1e-5)
    assert attention_spread(rec)[0] == pytest.approx(1.0)
    assert attention_spread(copying_record())[0] < 0.1


def test_concat_record_share_of_the_bank_group():
    src, tgt = source_and_target()
    rec = copying_record(concat=True)
    bank = region_share(rec, tgt)  # key_mask None: the whole bank group (the last one)
    own = region_share(rec, tgt, key_group=0)
    np.testing.assert_allclose(bank.inside + own.inside, 1.0, rtol=1e-5)
    w = chosen_weight(32)
    assert bank.inside[0] == pytest.approx(w + 15 * (1 - w) / 31, rel=1e-4)
    assert bank.uniform == pytest.approx(0.5)
    assert region_share(rec, tgt, src).inside[0] == pytest.approx(w + 3 * (1 - w) / 31, rel=1e-4)
    with pytest.raises(ValueError, match="key_group"):
        region_share(rec, tgt, key_group=2)


def test_rows_agree_with_query_attention():
    rec = copying_record()
    rows = attention_rows(rec, np.arange(16))
    for token in (0, 6, 11):
        point = ((token % 4) * 4 + 1.0, (token // 4) * 4 + 1.0)
        np.testing.assert_allclose(rows[:, token], query_attention(rec, point, (16, 16)).per_head, atol=1e-6)


def test_bad_regions_and_masked_selections_are_refused():
    src, tgt = source_and_target()
    with pytest.raises(ValueError, match="query_mask covers no token"):
        region_share(copying_record(), np.zeros((16, 16), bool), src)
    with pytest.raises(ValueError, match="key_mask covers no token"):
        region_share(copying_record(), tgt, np.zeros((16, 16), bool))
    masked = dict(copying_record(), k=np.eye(16, dtype=np.float32)[:11])
    with pytest.raises(ValueError, match="masked selection"):
        region_share(masked, tgt, src)


def test_series_over_the_recorded_steps(trace):
    src = trace.masks["edit"]
    series = bank_share_series(trace, BANK_LAYER, ~src, src)
    want = [k for k, s in enumerate(trace.steps) if s.attention]
    assert series.steps == want and series.inside.shape == (len(want), 2)  # 2 heads
    assert list(series.index) == [trace.steps[k].index for k in want]
    one = region_share(trace.steps[want[1]].attention[BANK_LAYER], ~src, src)
    np.testing.assert_allclose(series.inside[1], one.inside)
    with pytest.raises(ValueError, match="recorded layers"):
        bank_share_series(trace, "up_blocks.9.attn1", src)


def test_image_difference():
    a = np.zeros((4, 5, 3), np.uint8)
    b = a.copy()
    b[1, 2] = (30, 60, 90)
    d = image_difference(a, b)
    assert d.shape == (4, 5) and d[1, 2] == pytest.approx(60.0) and d.sum() == pytest.approx(60.0)
    with pytest.raises(ValueError, match="same shape"):
        image_difference(a, b[:, :4])
