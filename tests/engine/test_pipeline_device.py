"""``load_pipeline(device=...)`` names a device this machine lacks in one line, before loading any weights."""

from __future__ import annotations

import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.pipeline import check_device


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA (this one has a CUDA GPU)")
def test_cuda_without_cuda_is_a_one_line_error_naming_the_device():
    with pytest.raises(ValueError, match=r"^device 'cuda' is not available: this machine has no usable CUDA GPU") as e:
        dw.load_pipeline(device="cuda")
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match=r"device 'cuda:1' is not available"):
        check_device(torch.device("cuda:1"))


def test_a_device_name_that_is_not_one():
    with pytest.raises(ValueError, match=r"device must be a torch device such as 'cpu'.*got 'gpu0'"):
        dw.load_pipeline(device="gpu0")
    assert check_device("cpu") == torch.device("cpu")
