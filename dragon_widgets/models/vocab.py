"""The embedded model's tokenizer: a CLIP BPE tokenizer whose vocabulary is exactly the caption words.

The merges spell out every caption word from its end (``e``+``d</w>`` → ``ed</w>``, then ``r``+``ed</w>``
→ ``red</w>``): every merge joins a character to a word-final token, so inside a word only the last pair
can ever merge and every caption word becomes exactly one token whatever the merge order. Any other text
falls back to characters (and shared word endings), so unknown words still tokenize instead of failing. Changing this changes what the shipped text
encoder was trained on. Built from :data:`CAPTION_WORDS` so the tokenizer
and the scene generator cannot drift apart.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

from ..bench.scenes import CAPTION_WORDS

BOS, EOS = "<|startoftext|>", "<|endoftext|>"
#: Context length of the embedded text encoder (second-world captions have at most 25 words).
MAX_LENGTH = 32


def build_vocab(words: tuple[str, ...] = CAPTION_WORDS) -> tuple[dict[str, int], list[tuple[str, str]]]:
    vocab: dict[str, int] = {}

    def add(tok: str) -> None:
        vocab.setdefault(tok, len(vocab))

    add(BOS)
    add(EOS)
    for c in string.ascii_lowercase + string.digits:
        add(c)
        add(c + "</w>")
    merges: list[tuple[str, str]] = []
    for w in words:
        for k in range(len(w) - 2, -1, -1):  # right to left: e + d</w> → ed</w>, r + ed</w> → red</w>
            pair = (w[k], w[k + 1:] + "</w>")
            if pair not in merges:
                merges.append(pair)
            add(pair[0] + pair[1])
    return vocab, merges


def save_tokenizer(directory: str | Path):
    """Write a ``CLIPTokenizer`` for the caption vocabulary to ``directory`` and return it."""
    from transformers import CLIPTokenizer

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    vocab, merges = build_vocab()
    raw = d / "_raw"
    raw.mkdir(exist_ok=True)
    (raw / "vocab.json").write_text(json.dumps(vocab))
    (raw / "merges.txt").write_text("#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in merges) + "\n")
    tok = CLIPTokenizer(str(raw / "vocab.json"), str(raw / "merges.txt"), pad_token=EOS, unk_token=EOS,
                        bos_token=BOS, eos_token=EOS, model_max_length=MAX_LENGTH)
    tok.save_pretrained(str(d))
    for f in raw.iterdir():
        f.unlink()
    raw.rmdir()
    return tok
