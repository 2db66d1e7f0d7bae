"""Recognising failures by kind (torch-free): the command line and the editor app both turn an out-of-memory
error into advice instead of a traceback."""

from __future__ import annotations

#: Lower-case fragments of the messages allocators raise when memory runs out: CUDA and MPS ("out of memory"),
#: PyTorch's CPU allocator on Linux ("can't allocate memory") and on Windows ("not enough memory").
OUT_OF_MEMORY_TEXT = ("out of memory", "can't allocate memory", "cannot allocate memory", "not enough memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` says memory ran out: a ``MemoryError``, ``torch.OutOfMemoryError`` (by name, so torch need not
    be imported) or an error whose message is an allocator's out-of-memory message."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return any(fragment in text for fragment in OUT_OF_MEMORY_TEXT)
