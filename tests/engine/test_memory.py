import torch

from dragon_widgets.engine.memory import MemoryBank


def test_stored_kv_do_not_keep_the_cfg_batch_alive():
    """A bank on the model's device and dtype stores copies: a view of the batch-2 K/V would pin both halves."""
    kv = torch.randn(2, 16, 8)  # (CFG batch, tokens, channels)
    for bank in (MemoryBank(timesteps=[10]), MemoryBank(timesteps=[10], device="cpu", dtype=torch.float16)):
        bank.store("layer", 10, kv[-1:], kv[-1:], (4, 4))
        k, v = bank.kv["layer"][10]
        assert k.untyped_storage().nbytes() == k.numel() * k.element_size()
        assert k.untyped_storage().data_ptr() != kv.untyped_storage().data_ptr()
        assert torch.equal(k.float(), kv[-1:].half().float()) if k.dtype == torch.float16 else torch.equal(k, kv[-1:])
