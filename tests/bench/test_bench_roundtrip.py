"""The round-trip check: PSNR and invented objects of reconstruct(invert(x)), on scenes and on their backgrounds."""

from dataclasses import dataclass

import numpy as np

from dragon_widgets.bench.roundtrip import TARGETS, format_roundtrip, invented_count, roundtrip_check


def test_an_added_blob_counts_as_invented_and_small_noise_does_not():
    src = np.full((64, 64, 3), 120, np.uint8)
    noisy = (src.astype(int) + np.random.default_rng(0).integers(-3, 4, src.shape)).astype(np.uint8)
    assert invented_count(noisy, src) == 0
    blob = src.copy()
    blob[10:16, 20:26] = (230, 40, 40)  # 36 px, far above the change threshold
    assert invented_count(blob, src) == 1
    speck = src.copy()
    speck[40:42, 40:42] = (230, 40, 40)  # 4 px: below the size threshold
    assert invented_count(speck, src) == 0
    two = blob.copy()
    two[40:46, 40:46] = (40, 200, 40)
    assert invented_count(two, src) == 2


@dataclass
class _Preset:
    name: str = "fake"
    inversion_refine: int = 2


class _Editor:
    """invert → the image; reconstruct → the image, plus a red square on every ``bad``-th call."""

    def __init__(self, bad: int = 0):
        self.preset, self.bad, self.calls = _Preset(), bad, 0

    def invert(self, img):
        return img

    def reconstruct(self, img):
        self.calls += 1
        out = np.array(img)
        if self.bad and self.calls % self.bad == 0:
            out[5:12, 5:12] = (255, 0, 0)
        return out


def test_a_faithful_round_trip_passes_on_scenes_and_backgrounds():
    r = roundtrip_check(_Editor(), n=3, split="tuning")
    assert r["passed"] and r["refine"] == 2
    for k in ("scenes", "backgrounds"):
        assert r[k]["n"] == 3 and r[k]["invented"] == 0 and r[k]["min"] == 60.0
    assert "passed" in format_roundtrip(r)


def test_a_round_trip_that_invents_an_object_fails_and_says_where():
    r = roundtrip_check(_Editor(bad=4), n=3, split="tuning")  # the 4th call: the first background
    assert not r["passed"]
    assert r["scenes"]["invented"] == 0 and r["backgrounds"]["invented"] == 1
    assert r["backgrounds"]["rows"][0]["invented"] == 1 and r["backgrounds"]["min"] < TARGETS["min_psnr"]
    assert "NOT passed" in format_roundtrip(r) and "1 of 3 with an invented object" in format_roundtrip(r)
