"""Starting a run from a pipeline with another tokenizer: token rows follow their strings, positions their index."""

import pytest
import torch
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from dragon_widgets.models.init_from import _vocab_of, init_from_pipeline, transfer_text_encoder


def config(vocab_size: int, positions: int, intermediate: int = 16) -> CLIPTextConfig:
    return CLIPTextConfig(vocab_size=vocab_size, hidden_size=8, intermediate_size=intermediate, num_hidden_layers=1,
                          num_attention_heads=2, max_position_embeddings=positions, bos_token_id=0, eos_token_id=0,
                          pad_token_id=0)


def text_encoder(vocab_size: int, positions: int, seed: int) -> CLIPTextModel:
    torch.manual_seed(seed)
    return CLIPTextModel(config(vocab_size, positions))


def unprefixed(state: dict) -> dict:
    """State-dict keys without the ``text_model.`` prefix some transformers versions add."""
    return {k.removeprefix("text_model."): v for k, v in state.items()}


ROWS = "embeddings.token_embedding.weight"
POS = "embeddings.position_embedding.weight"


def test_rows_follow_token_strings_and_new_tokens_keep_their_initialisation():
    src_vocab = {"<s>": 0, "a": 1, "red</w>": 2, "re": 3}
    dst_vocab = {"<s>": 0, "a": 1, "blue</w>": 2, "red</w>": 3, "x": 4}  # "red</w>" moved, "re" gone
    src, dst = text_encoder(4, 3, seed=0), text_encoder(5, 5, seed=1)
    before = unprefixed(dst.state_dict())[ROWS].clone()
    counts = transfer_text_encoder(dst, dst_vocab, src.state_dict(), src_vocab)
    got, want = unprefixed(dst.state_dict()), unprefixed(src.state_dict())
    assert counts == dict(copied=3, fresh=2, positions=3)
    assert torch.equal(got[ROWS][3], want[ROWS][2])  # "red</w>" by its string, not its index
    assert torch.equal(got[ROWS][0], want[ROWS][0]) and torch.equal(got[ROWS][1], want[ROWS][1])
    assert torch.equal(got[ROWS][2], before[2]) and torch.equal(got[ROWS][4], before[4])  # new tokens untouched
    assert torch.equal(got[POS][:3], want[POS]) and not torch.equal(got[POS][3:], want[POS][:2])
    layer = "encoder.layers.0.self_attn.q_proj.weight"
    assert torch.equal(got[layer], want[layer])


def test_a_differently_shaped_weight_is_refused_by_name():
    src = text_encoder(4, 3, seed=0)
    wide = CLIPTextModel(config(4, 3, intermediate=32))
    with pytest.raises(ValueError, match="fc1.weight"):
        transfer_text_encoder(wide, {"a": 0}, src.state_dict(), {"a": 0})


def test_a_source_tokenizer_saved_as_vocab_json_is_read(tmp_path):
    """Hub pipelines often ship ``vocab.json`` + ``merges.txt`` and no ``tokenizer.json``."""
    import json

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "r": 2, "e": 3, "d</w>": 4, "re": 5, "red</w>": 6}
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "merges.txt").write_text("#version: 0.2\nr e\nre d</w>\n")
    assert _vocab_of(tmp_path) == vocab


@pytest.mark.slow
@pytest.mark.embedded  # the trained embedded model
def test_the_first_embedded_model_starts_a_run_with_todays_vocabulary():
    """The shipped first model (153 tokens, 24 positions) into today's v1 components: every caption word it
    knew keeps its embedding, so its captions encode the same as before on the same positions."""
    from dragon_widgets.models.build import build_components
    from dragon_widgets.models.vocab import build_vocab
    from dragon_widgets.engine.pipeline import EMBEDDED_DIR as src

    comp = build_components("v1")
    state = init_from_pipeline(comp["unet"], comp["text_encoder"], build_vocab()[0], src)
    assert state["steps"] > 0 and state["text_rows"]["positions"] == 24 and state["text_rows"]["copied"] > 70
    old = CLIPTextModel.from_pretrained(str(src / "text_encoder")).float()
    old_tok = CLIPTokenizer.from_pretrained(str(src / "tokenizer"))
    caption = "a red circle and a blue square on a gray background"
    with torch.no_grad():
        a = old(old_tok(caption, return_tensors="pt").input_ids).last_hidden_state
        b = comp["text_encoder"](comp["tokenizer"](caption, return_tensors="pt").input_ids).last_hidden_state
    assert a.shape == b.shape and torch.allclose(a, b, atol=1e-3)
