"""Device, threads and precision: the CPU fast paths (channels_last, bf16) and CUDA."""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

import torch


def configure_threads(threads: int | None = None) -> int:
    """Set torch's intra-op threads (`CNNAPP_THREADS`, else the core count) and return the number."""
    n = threads or int(os.environ.get("CNNAPP_THREADS", 0)) or len(os.sched_getaffinity(0))
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()


def pick_device(preference: str = "auto") -> torch.device:
    """`auto` → CUDA when present, else CPU."""
    if preference == "cuda" or (preference == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            from cnnapp.errors import ConfigError

            raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use --device auto or cpu")
        return torch.device("cuda")
    return torch.device("cpu")


@functools.cache
def cpu_has_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def use_bf16(precision: str, device: torch.device) -> bool:
    """Whether to train and predict under bf16 autocast: `auto` uses it where the hardware has it."""
    if precision == "fp32":
        return False
    supported = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_bf16()
    if precision == "bf16":
        return True
    return supported


def autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on `device` when `enabled`, else a no-op."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def describe(device: torch.device, bf16: bool, channels_last: bool) -> str:
    """One line about where and how the model runs."""
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    return f"{where}, {'bf16 autocast' if bf16 else 'fp32'}, {'channels_last' if channels_last else 'NCHW'}"
