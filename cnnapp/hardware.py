"""Device, threads and precision: the CPU fast paths (channels_last, bf16) and CUDA."""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

import torch

from cnnapp import settings
from cnnapp.messages import Message, msg, text


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads (`CNNAPP_THREADS`, else the cores shared by this machine's ranks)."""
    from cnnapp.distributed import local_world_size

    n = threads or settings.get().threads or len(os.sched_getaffinity(0)) // local_world_size()
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()


def use_inference_threads() -> None:
    """Give the app's next prediction the threads `cores.inference_threads` allows (no-op when unchanged)."""
    from cnnapp.cores import inference_threads

    if torch.get_num_threads() != (n := inference_threads()):
        torch.set_num_threads(n)


def pick_device(preference: str = "auto") -> torch.device:
    """`auto` → CUDA when present, else CPU."""
    if preference == "cuda" or (preference == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            from cnnapp.errors import ConfigError

            raise ConfigError(msg("device.no_cuda"))
        return torch.device("cuda")
    return torch.device("cpu")


@functools.cache
def cpu_flags() -> frozenset[str]:
    """The CPU feature flags from /proc/cpuinfo (empty where unavailable)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return frozenset()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return frozenset(line.split(":", 1)[-1].split())


def use_bf16(precision: str, device: torch.device, training: bool = True) -> bool:
    """Whether to run under bf16 autocast. `auto`: CUDA GPUs with bf16; CPUs with AMX;
    and, for inference passes only, CPUs with AVX512-BF16.

    Measured on a 2-core AVX512-BF16 CPU without AMX: bf16 autocast made EfficientNet-Lite0
    training steps ~5x slower than fp32 channels_last (the backward of depthwise convolutions
    leaves oneDNN's fast path) but its forward pass ~1.25x faster (bench/, fast_path).
    """
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    flags = cpu_flags()
    return "amx_bf16" in flags or (not training and "avx512_bf16" in flags)


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on `device` when `enabled`, else a no-op."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def describe(device: torch.device, bf16_train: bool, bf16_eval: bool, channels_last: bool) -> Message:
    """One line about where and how the model runs, e.g. "CPU (2 threads), fp32 training, bf16 inference, NCHW"; a
    code, so that a page says its words (thread, training, inference) in its language."""
    if device.type == "cuda":
        where = text(torch.cuda.get_device_name(device))
    else:
        threads = torch.get_num_threads()
        where = msg("device.cpu_1" if threads == 1 else "device.cpu", threads=threads)
    if bf16_train == bf16_eval:
        precision = text("bf16 autocast" if bf16_train else "fp32")
    else:
        precision = msg(
            "device.precision", train="bf16" if bf16_train else "fp32", eval="bf16" if bf16_eval else "fp32"
        )
    return msg("device.line", where=where, precision=precision, layout="channels_last" if channels_last else "NCHW")
