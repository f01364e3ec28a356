"""`torchrun` support: the process group, rank-0-only writing, sharded batches, metric reductions."""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler

from cnnapp.errors import CnnappError

T = TypeVar("T")
LEAVE_WAIT = datetime.timedelta(seconds=60)  # how long a finished rank waits for the others before leaving


@dataclass(frozen=True)
class Context:
    """This process's place in the job: rank 0 of 1 when not launched by torchrun."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def local_world_size() -> int:
    """Processes sharing this machine (torchrun's LOCAL_WORLD_SIZE), for sizing thread pools."""
    return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", 1)))


def init_from_env() -> Context:
    """Join the process group torchrun describes in the environment (gloo on CPU, nccl on GPU)."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world <= 1:
        return Context()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return Context(dist.get_rank(), dist.get_world_size(), local_rank)


@contextlib.contextmanager
def group() -> Iterator[Context]:
    """This process's place in the launch (`init_from_env`), left when the block ends.

    After a block that ended well every rank waits for the others before leaving: a rank that tore its group down
    while another still wrote its last files was seen to abort at exit ("terminate called without an active
    exception", Gloo's threads destroyed while in use). After an error no rank waits: another may never come; and
    on Gloo a wait is bounded (`LEAVE_WAIT`), so a rank whose peer failed alone still ends.
    """
    ctx = init_from_env()
    try:
        yield ctx
    except BaseException:
        _leave()
        raise
    try:
        if dist.is_initialized() and dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=LEAVE_WAIT)
        elif dist.is_initialized():
            dist.barrier()
    finally:
        _leave()


def _leave() -> None:
    """Leave the process group, if any."""
    if dist.is_initialized():
        dist.destroy_process_group()


def broadcast(value: Any, ctx: Context) -> Any:
    """Rank 0's `value` on every rank."""
    if not ctx.enabled:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def on_main(make: Callable[[], T], ctx: Context) -> T:
    """`make()` on rank 0, its result on every rank; a CnnappError is raised on every rank rather than leaving
    the others waiting."""
    result: Any = None
    if ctx.main:
        try:
            result = make()
        except CnnappError as exc:
            if not ctx.enabled:
                raise
            result = exc
    result = broadcast(result, ctx)
    if isinstance(result, CnnappError):
        raise result
    return result


def all_sum(values: Sequence[float], ctx: Context, device: torch.device) -> list[float]:
    """Element-wise sums over all ranks."""
    if not ctx.enabled:
        return list(values)
    t = torch.tensor(list(values), dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def any_rank(flag: bool, ctx: Context, device: torch.device) -> bool:
    """True on every rank when `flag` is true on any rank (a collective: all ranks must call it)."""
    if not ctx.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def barrier(ctx: Context) -> None:
    if ctx.enabled:
        dist.barrier()


def shard_sampler(length: int, seed: int, ctx: Context) -> DistributedSampler:
    """This rank's shuffled, equal-sized shard of a training split (DistributedSampler pads the last one)."""
    return DistributedSampler(range(length), num_replicas=ctx.world, rank=ctx.rank, shuffle=True, seed=seed)


def eval_shard(length: int, ctx: Context) -> list[int]:
    """This rank's share of an evaluation split, every sample counted once across ranks."""
    return list(range(ctx.rank, length, ctx.world))
