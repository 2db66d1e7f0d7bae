"""The plain-data unpickler DragBench's meta_data.pkl goes through: plain data loads, anything else is refused
before it runs."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from dragon_widgets.bench.safe_pickle import load_plain_pickle


class _RunsCommand:
    """A hostile object: unpickling it with pickle.load would run ``touch <marker>``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Evals:
    def __reduce__(self):
        return (eval, ("__import__('os').getpid()",))


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_plain_data_and_numpy_arrays_load_with_every_protocol(tmp_path, protocol):
    data = {"prompt": "a cat", "points": [(10, 20), (30, 40)], "mask": np.eye(4, dtype=np.float32) * 255,
            "scalars": [np.float64(1.5), np.int64(3), True, None], "nested": {"t": (1, 2.0, "x", b"raw")}}
    p = tmp_path / "meta_data.pkl"
    p.write_bytes(pickle.dumps(data, protocol=protocol))
    got = load_plain_pickle(p)
    assert got["prompt"] == "a cat" and got["points"] == [(10, 20), (30, 40)]
    np.testing.assert_array_equal(got["mask"], data["mask"])
    assert got["mask"].dtype == np.float32
    assert got["scalars"][:2] == [1.5, 3] and got["nested"]["t"] == (1, 2.0, "x", b"raw")


def test_a_hostile_pickle_is_refused_and_its_payload_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    p = tmp_path / "meta_data.pkl"
    p.write_bytes(pickle.dumps({"prompt": "x", "points": [(0, 0), (1, 1)], "mask": _RunsCommand(marker)}))
    with pytest.raises(ValueError) as err:
        load_plain_pickle(p)
    assert str(p) in str(err.value) and "system" in str(err.value) and "not executed" in str(err.value)
    assert not marker.exists()
    # the same file through pickle.load really would run it: the test's payload is live
    with open(p, "rb") as f:
        pickle.load(f)
    assert marker.exists()


@pytest.mark.parametrize("payload", [_Evals(), {1, 2}, np.array([object(), 1], dtype=object), range(3)],
                         ids=["eval", "set", "object-array", "range"])
def test_anything_but_plain_data_is_refused_naming_the_file(tmp_path, payload):
    p = tmp_path / "m.pkl"
    try:
        p.write_bytes(pickle.dumps({"x": payload}))
    except (pickle.PicklingError, TypeError):
        pytest.skip("cannot pickle this payload here")
    with pytest.raises(ValueError, match="m.pkl"):
        load_plain_pickle(p)


def test_truncated_corrupt_huge_and_missing_files(tmp_path):
    p = tmp_path / "t.pkl"
    p.write_bytes(pickle.dumps({"prompt": "x" * 100})[:20])
    with pytest.raises(ValueError, match="t.pkl: not a readable pickle"):
        load_plain_pickle(p)
    p.write_bytes(b"\x00garbage")
    with pytest.raises(ValueError, match="t.pkl"):
        load_plain_pickle(p)
    p.write_bytes(pickle.dumps(np.zeros(1000)))
    with pytest.raises(ValueError, match="at most 100 are read"):
        load_plain_pickle(p, max_bytes=100)
    with pytest.raises(FileNotFoundError):
        load_plain_pickle(tmp_path / "none.pkl")


def test_an_array_larger_than_the_file_is_refused(tmp_path):
    # numpy.ndarray called directly with a big shape (no data in the file): refused after loading
    stream = (b"\x80\x04cnumpy\nndarray\n(J\x00\x00\x10\x00\x85tR.")
    p = tmp_path / "big.pkl"
    p.write_bytes(stream)
    with pytest.raises(ValueError, match="more than the file holds"):
        load_plain_pickle(p)
