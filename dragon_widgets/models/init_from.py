"""Start a training run from a shipped pipeline folder whose tokenizer may differ from today's.

The first embedded model's tokenizer has 153 tokens and 24 positions; today's caption vocabulary has more words
and 32 positions, and its merges split words differently. Token-embedding rows are therefore matched by token
*string* (every caption word is one token in both), positions by index; rows with no source (new words, new
positions) keep their fresh initialisation. Every other weight must match in shape.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

TOKEN_ROWS = "embeddings.token_embedding.weight"
POSITION_ROWS = "embeddings.position_embedding.weight"


def _vocab_of(tokenizer_dir: Path) -> dict[str, int]:
    """A saved tokenizer's token → id table, whichever files it was saved with (tokenizer.json or vocab.json)."""
    from transformers import CLIPTokenizer

    return dict(CLIPTokenizer.from_pretrained(str(tokenizer_dir)).get_vocab())


def transfer_text_encoder(dst: torch.nn.Module, dst_vocab: dict[str, int], src_state: dict[str, torch.Tensor],
                          src_vocab: dict[str, int]) -> dict[str, int]:
    """Copy ``src_state`` into the text encoder ``dst`` (in place), matching token rows by string.

    Returns how many token rows were copied and how many kept their initialisation (``copied``/``fresh``),
    and the number of positions copied. Raises ``ValueError`` naming the first weight whose shape differs.
    """
    state = {k: v.clone() for k, v in dst.state_dict().items()}
    counts = dict(copied=0, fresh=0, positions=0)
    for name, value in src_state.items():
        if name not in state:
            continue
        if name.endswith(TOKEN_ROWS):
            for token, i in dst_vocab.items():
                j = src_vocab.get(token)
                if j is None or j >= value.shape[0]:
                    counts["fresh"] += 1
                    continue
                state[name][i] = value[j].to(state[name].dtype)
                counts["copied"] += 1
        elif name.endswith(POSITION_ROWS):
            n = min(value.shape[0], state[name].shape[0])
            state[name][:n] = value[:n].to(state[name].dtype)
            counts["positions"] = n
        elif value.shape != state[name].shape:
            if name.endswith("position_ids"):
                continue  # a buffer sized by the context length, rebuilt by the model
            raise ValueError(f"init_from: weight {name!r} has shape {tuple(value.shape)} in the source, "
                             f"expected {tuple(state[name].shape)}")
        else:
            state[name] = value.to(state[name].dtype)
    dst.load_state_dict(state)
    return counts


def init_from_pipeline(unet: torch.nn.Module, text_encoder: torch.nn.Module, dst_vocab: dict[str, int],
                       src: str | Path) -> dict:
    """Load a pipeline folder's UNet (same architecture) and text encoder (any caption vocabulary) into the
    models being trained; returns the folder's ``training_state.json`` (``{}`` if absent) with the
    text-encoder transfer counts under ``"text_rows"``."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel

    src = Path(src)
    dev = next(unet.parameters()).device
    unet.load_state_dict(UNet2DConditionModel.from_pretrained(str(src / "unet")).float().to(dev).state_dict())
    te_state = CLIPTextModel.from_pretrained(str(src / "text_encoder")).float().to(dev).state_dict()
    counts = transfer_text_encoder(text_encoder, dst_vocab, te_state, _vocab_of(src / "tokenizer"))
    state_file = src / "training_state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    return dict(state, text_rows=counts)
