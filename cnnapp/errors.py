"""User-facing errors: each message says what was wrong and what to do; `coded` (as a message code) and
`user_message` (its English text) for everything else."""

from __future__ import annotations

import errno
from typing import Any

from cnnapp.messages import Message, msg, text

OUT_OF_MEMORY = str(msg("error.out_of_memory"))
OOM_SIGNS = ("out of memory", "can't allocate memory", "cannot allocate memory")
DISK_FULL_MESSAGE = str(msg("error.disk_full"))


class CnnappError(Exception):
    """An error caused by user input or the environment, safe to show as one line.

    Raised with text or with a `Message` (a code a page can say in its language): `str(exc)` is the English text
    either way, and `message` the Message. The Message is the exception's argument, so it survives pickling.
    """

    def __init__(self, message: str | Message = "", *args: Any):
        super().__init__(message, *args)

    @property
    def message(self) -> Message:
        """What to tell a person, as a code (plain text as the code "text")."""
        return text(self.args[0] if self.args else "")


class ConfigError(CnnappError):
    """A training or prediction setting is invalid."""


class SettingsError(CnnappError):
    """An environment variable (`CNNAPP_*`, see `cnnapp.settings`) has a value cnnapp cannot use."""


class DataError(CnnappError):
    """A dataset or image cannot be used."""


class IngestError(DataError):
    """A dataset that cannot be trained on; `.report` holds what was found."""

    def __init__(self, message: str | Message, report: dict):
        super().__init__(message)
        self.report = report

    def __reduce__(self) -> tuple:
        return type(self), (self.args[0], self.report)


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


def coded(exc: BaseException, log: str | None = None) -> Message:
    """What a user is told about `exc`, as a message code; `log` names the file an unexpected error's traceback is in.

    Where a run's failure is recorded, so that a page says it in its own language."""
    if isinstance(exc, CnnappError):
        return exc.message
    if isinstance(exc, MemoryError) or _torch_oom(exc):
        return msg("error.out_of_memory")
    if is_disk_full(exc):  # also a library's wrapped OS error, e.g. safetensors' "os error 28"
        where = getattr(exc, "filename", None) or getattr(exc, "strerror", None) or type(exc).__name__
        return msg("error.disk_full_at", disk_full=msg("error.disk_full"), where=str(where))
    if isinstance(exc, OSError):
        return msg("error.files", problem=str(exc.strerror or exc), file=str(exc.filename or ""))
    if _says_out_of_memory(exc):
        return msg("error.out_of_memory")
    first = str(exc).splitlines()[0] if str(exc) else ""
    see = msg("error.see_log", file=log) if log else ""
    return msg("error.unexpected", kind=type(exc).__name__, first=first, see=see)


def user_message(exc: BaseException, log: str | None = None) -> str:
    """The one line a user reads for `exc` (English: the CLI, the logs, the HTTP API); see `coded`."""
    return str(coded(exc, log))


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
