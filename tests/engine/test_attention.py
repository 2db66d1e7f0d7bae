import torch

from dragon_widgets.engine.attention import BankAttnProcessor, BankControl, installed
from dragon_widgets.engine.families.layers import self_attention_layers
from dragon_widgets.engine.memory import MemoryBank


def test_processors_are_installed_on_bank_layers_only_and_restored(tiny_sd):
    unet = tiny_sd.unet
    before = dict(unet.attn_processors)
    names = self_attention_layers(unet, ("up_blocks.1", "up_blocks.2", "up_blocks.3"))
    assert names and all(".attn1." in n and n.startswith("up_blocks.") for n in names)
    ctl = BankControl()
    with installed(unet, names, ctl):
        procs = unet.attn_processors
        assert all(isinstance(procs[n], BankAttnProcessor) for n in names)
        assert all(procs[n] is before[n] for n in procs if n not in names)
    after = unet.attn_processors
    assert all(after[n] is before[n] for n in before)


def test_processors_are_restored_after_an_exception(tiny_sd):
    unet = tiny_sd.unet
    before = dict(unet.attn_processors)
    try:
        with installed(unet, self_attention_layers(unet, ("up_blocks.1",)), BankControl()):
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert all(unet.attn_processors[n] is before[n] for n in before)


def _run(unet, z, t, emb):
    with torch.no_grad():
        return unet(z, t, encoder_hidden_states=emb).sample


def test_off_mode_equals_the_stock_processor_and_replacing_with_own_kv_changes_nothing(tiny_sd):
    unet = tiny_sd.unet
    g = torch.Generator().manual_seed(0)
    z = torch.randn(1, 4, 8, 16, generator=g)
    emb = torch.randn(1, 24, 32, generator=g)
    t = 500
    plain = _run(unet, z, t, emb)
    names = self_attention_layers(unet, ("up_blocks.1", "up_blocks.2", "up_blocks.3"))
    bank = MemoryBank(timesteps=[t])
    ctl = BankControl(mode="off", latent_hw=(8, 16))
    with installed(unet, names, ctl):
        assert torch.allclose(_run(unet, z, t, emb), plain, atol=1e-5)
        ctl.mode, ctl.t, ctl.bank = "record", t, bank
        assert torch.allclose(_run(unet, z, t, emb), plain, atol=1e-5)
        assert set(bank.kv) == set(names)
        # replacing K/V by the bank's K/V recorded from the same input is the identity
        ctl.mode, ctl.rule = "apply", "replace"
        assert torch.allclose(_run(unet, z, t, emb), plain, atol=1e-5)
        # concatenating a copy of the own tokens doubles every token: softmax weights are unchanged
        ctl.rule = "concat"
        assert torch.allclose(_run(unet, z, t, emb), plain, atol=1e-4)
        # a bank from another image changes the output
        z2 = torch.randn(1, 4, 8, 16, generator=g)
        ctl.mode = "record"
        _run(unet, z2, t, emb)
        ctl.mode, ctl.rule = "apply", "replace"
        assert not torch.allclose(_run(unet, z, t, emb), plain, atol=1e-3)


def test_token_grids_are_recorded_for_non_square_latents(tiny_sd):
    unet = tiny_sd.unet
    names = self_attention_layers(unet, ("up_blocks.1", "up_blocks.2", "up_blocks.3"))
    bank = MemoryBank(timesteps=[10])
    ctl = BankControl(mode="record", t=10, bank=bank, latent_hw=(8, 24))
    with installed(unet, names, ctl):
        _run(unet, torch.zeros(1, 4, 8, 24), 10, torch.zeros(1, 24, 32))
    grids = {bank.token_grids[n] for n in names}
    assert grids == {(2, 6), (4, 12), (8, 24)}


def test_bank_can_be_stored_in_fp16_on_cpu(tiny_sd):
    unet = tiny_sd.unet
    names = self_attention_layers(unet, ("up_blocks.1",))
    bank = MemoryBank(timesteps=[10], device="cpu", dtype=torch.float16)
    with installed(unet, names, BankControl(mode="record", t=10, bank=bank, latent_hw=(8, 8))):
        _run(unet, torch.zeros(1, 4, 8, 8), 10, torch.zeros(1, 24, 32))
    k, v = bank.kv[names[0]][10]
    assert k.dtype == torch.float16 and k.device.type == "cpu"
    k2, _ = bank.get(names[0], 10, torch.zeros(1, dtype=torch.float32))
    assert k2.dtype == torch.float32
