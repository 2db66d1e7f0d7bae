"""The processes a batch runs on: accelerate's ``PartialState`` when launched by ``accelerate launch`` or
``torchrun``, one plain process otherwise.

:func:`processes` returns a :class:`Processes` with the rank (``index``), the number of processes, the device this
process uses (``cuda:<local rank>`` with GPUs, else ``cpu``), and three collective steps: :meth:`Processes.split`
(accelerate's ``split_between_processes``), :meth:`Processes.gather` (``gather_object``) and
:meth:`Processes.wait` (``wait_for_everyone``).

On a machine without CUDA, accelerate's ``PartialState()`` started by ``torchrun`` sees a single process in every
rank (each would run every job); the CPU state (``PartialState(cpu=True)``, gloo) is used there instead, and a
launch whose state still disagrees with ``WORLD_SIZE`` is refused rather than running jobs twice.
"""

from __future__ import annotations

import contextlib
import os
import socket
from dataclasses import dataclass
from typing import Any, Iterator

#: How long a process waits in a collective step (the end of the run waits for the slowest share of the jobs).
COLLECTIVE_TIMEOUT_HOURS = 72
#: Environment variables a multi-process launcher sets (torchrun, accelerate launch, MPI, SLURM via srun).
_WORLD_VARS = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")


def launched_world_size() -> int:
    """The number of processes the launcher says it started (1 when not launched by one)."""
    for var in _WORLD_VARS:
        try:
            n = int(os.environ.get(var, "1"))
        except ValueError:
            continue
        if n > 1:
            return n
    return 1


@dataclass
class Processes:
    """This process's place in the run (see the module docstring)."""

    index: int = 0
    count: int = 1
    device: str = "cpu"
    state: Any = None  # accelerate's PartialState, or None for one plain process

    @property
    def is_main(self) -> bool:
        return self.index == 0

    @property
    def host(self) -> str:
        return socket.gethostname()

    @contextlib.contextmanager
    def split(self, items: list) -> Iterator[list]:
        """This process's share of ``items`` (contiguous, sizes differing by at most one)."""
        if self.state is None or self.count == 1:
            yield list(items)
            return
        with self.state.split_between_processes(list(items)) as mine:
            yield list(mine)

    def gather(self, items: list) -> list:
        """Every process's ``items`` concatenated in rank order (on every process)."""
        if self.state is None or self.count == 1:
            return list(items)
        from accelerate.utils import gather_object

        return list(gather_object(list(items)))

    def wait(self) -> None:
        """Block until every process gets here."""
        if self.state is not None and self.count > 1:
            self.state.wait_for_everyone()


def processes(cpu: bool | None = None) -> Processes:
    """The :class:`Processes` of this run. ``cpu``: force CPU processes (default: CPU when CUDA is not available).
    Without a launcher this is one plain process and accelerate is not needed."""
    import torch

    if cpu is None:
        cpu = not torch.cuda.is_available()
    world = launched_world_size()
    try:
        from accelerate import PartialState
    except ImportError:
        if world > 1:
            raise RuntimeError(f"this run was launched as {world} processes, but accelerate is not installed: "
                               f"pip install 'dragon_widgets[batch]' (or pip install accelerate)") from None
        return Processes(device="cpu" if cpu else ("cuda" if torch.cuda.is_available() else "cpu"))
    if world == 1 and "LOCAL_RANK" not in os.environ:
        return Processes(device="cpu" if cpu else "cuda")
    from datetime import timedelta

    # the collectives wait for the slowest process's share of the jobs: far longer than torch's 30-minute default
    state = PartialState(cpu=cpu, timeout=timedelta(hours=COLLECTIVE_TIMEOUT_HOURS))
    if state.num_processes != world:
        raise RuntimeError(f"the launcher started {world} processes but accelerate sees {state.num_processes}; "
                           f"every process would run every job. Launch with torchrun or accelerate launch "
                           f"(see docs/batch.md)")
    device = "cpu" if cpu else str(state.device)
    return Processes(index=int(state.process_index), count=int(state.num_processes), device=device, state=state)
