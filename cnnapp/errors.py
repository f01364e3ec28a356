"""User-facing errors: each message says what was wrong and what to do."""

import errno

DISK_FULL_MESSAGE = "the disk is full: delete runs or exports to free space"


class CnnappError(Exception):
    """An error caused by user input or the environment, safe to show as one line."""


class ConfigError(CnnappError):
    """A training or prediction setting is invalid."""


class DataError(CnnappError):
    """A dataset or image cannot be used."""


class WeightsError(CnnappError):
    """Pretrained or user-supplied weights cannot be loaded."""


class RunError(CnnappError):
    """A run directory is missing, unreadable or in the wrong state."""


class LimitError(CnnappError):
    """A request goes over one of this server's resource limits (`cnnapp.limits`)."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the disk (or the quota) is full, also when a library wrapped the OS error in its own text."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return "os error 28" in text or "No space left on device" in text
