"""Out-of-memory errors are recognised by kind, on every device, without importing torch."""

from __future__ import annotations

import pytest

from dragon_widgets.core.errors import is_out_of_memory


@pytest.mark.parametrize("exc", [
    MemoryError(),
    RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"),
    RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: you tried to "
                 "allocate 68719476736 bytes. Error code 12 (Cannot allocate memory)"),
    RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 1073741824 bytes."),
    RuntimeError("MPS backend out of memory (MPS allocated: 9.00 GB)"),
    type("OutOfMemoryError", (RuntimeError,), {})("allocation failed"),
])
def test_every_allocator_message_counts(exc):
    assert is_out_of_memory(exc)


@pytest.mark.parametrize("exc", [RuntimeError("shape mismatch"), ValueError("memory bank is empty"), KeyError("oom")])
def test_other_errors_do_not(exc):
    assert not is_out_of_memory(exc)
