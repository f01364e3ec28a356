"""User-facing errors: each message says what was wrong and what to do; `user_message` for everything else."""

import errno

OUT_OF_MEMORY = "out of memory: lower --batch-size or --img-size, or pick a smaller architecture"
OOM_SIGNS = ("out of memory", "can't allocate memory", "cannot allocate memory")
DISK_FULL_MESSAGE = "the disk is full: delete runs or exports to free space"


class CnnappError(Exception):
    """An error caused by user input or the environment, safe to show as one line."""


class ConfigError(CnnappError):
    """A training or prediction setting is invalid."""


class SettingsError(CnnappError):
    """An environment variable (`CNNAPP_*`, see `cnnapp.settings`) has a value cnnapp cannot use."""


class DataError(CnnappError):
    """A dataset or image cannot be used."""


class IngestError(DataError):
    """A dataset that cannot be trained on; `.report` holds what was found."""

    def __init__(self, message: str, report: dict):
        super().__init__(message)
        self.report = report

    def __reduce__(self) -> tuple:
        return type(self), (str(self), self.report)


class WeightsError(CnnappError):
    """Pretrained or user-supplied weights cannot be loaded."""


class RunError(CnnappError):
    """A run directory is missing, unreadable or in the wrong state."""


class LimitError(CnnappError):
    """A request goes over one of this server's resource limits (`cnnapp.limits`)."""


class NonFiniteLoss(CnnappError):
    """The loss became NaN or infinite."""


class ExportError(CnnappError):
    """A model cannot be exported, loaded back or pushed."""


class LRFindError(CnnappError):
    """The learning-rate range test could not produce a suggestion."""


def expected(exc: BaseException) -> bool:
    """Whether `user_message` explains `exc` fully (anything else deserves a traceback in the log)."""
    return (
        isinstance(exc, CnnappError | MemoryError | OSError)
        or _torch_oom(exc)
        or _says_out_of_memory(exc)
        or is_disk_full(exc)
    )


def user_message(exc: BaseException, details: str = "") -> str:
    """The one line a user sees for `exc`; `details` says where an unexpected error's traceback is."""
    if isinstance(exc, CnnappError):
        return str(exc)
    if isinstance(exc, MemoryError) or _torch_oom(exc):
        return OUT_OF_MEMORY
    if is_disk_full(exc):  # also a library's wrapped OS error, e.g. safetensors' "os error 28"
        where = getattr(exc, "filename", None) or getattr(exc, "strerror", None) or type(exc).__name__
        return f"{DISK_FULL_MESSAGE} ({where})"
    if isinstance(exc, OSError):
        return (
            f"could not read or write files ({exc.strerror or exc}: {exc.filename or ''}); "
            "check disk space and permissions"
        )
    if _says_out_of_memory(exc):
        return OUT_OF_MEMORY
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"unexpected error ({type(exc).__name__}: {first}){details}"


def _torch_oom(exc: BaseException) -> bool:
    """torch.OutOfMemoryError, recognised by name so that this module never imports torch."""
    return any(c.__name__ == "OutOfMemoryError" for c in type(exc).__mro__)


def _says_out_of_memory(exc: BaseException) -> bool:
    return any(sign in str(exc).lower() for sign in OOM_SIGNS)


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the disk (or the quota) is full, also when a library wrapped the OS error in its own text."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)
    return "os error 28" in text or "No space left on device" in text
