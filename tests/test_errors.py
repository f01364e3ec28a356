"""One mapping from exceptions to the line a user reads."""

import errno
import pickle

import pytest
import torch

from cnnapp.errors import (
    DISK_FULL_MESSAGE,
    OUT_OF_MEMORY,
    ConfigError,
    DataError,
    IngestError,
    coded,
    expected,
    user_message,
)
from cnnapp.messages import msg


def test_cnnapp_errors_speak_for_themselves():
    assert user_message(ConfigError("epochs must be at least 1, got 0")) == "epochs must be at least 1, got 0"
    error = IngestError("no valid images found", {"skipped": ["a.txt"]})
    assert user_message(error) == "no valid images found" and expected(error)


@pytest.mark.parametrize(
    "exc",
    [
        MemoryError(),
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 123 bytes"),
    ],
)
def test_every_kind_of_out_of_memory_gets_the_same_advice(exc):
    assert user_message(exc) == OUT_OF_MEMORY and expected(exc)


def test_file_errors_name_the_file_and_what_to_check():
    message = user_message(PermissionError(errno.EACCES, "Permission denied", "/runs/x/metrics.csv"))
    assert message == (
        "could not read or write files (Permission denied: /runs/x/metrics.csv); check disk space and permissions"
    )


@pytest.mark.parametrize(
    "exc,where",
    [
        (OSError(errno.ENOSPC, "No space left on device", "/runs/x/metrics.csv"), "/runs/x/metrics.csv"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "Disk quota exceeded"),
        (
            RuntimeError("Error while serializing: IoError(Os { code: 28, kind: StorageFull, ... os error 28"),
            "RuntimeError",
        ),
    ],
)
def test_a_full_disk_says_so_however_it_is_reported(exc, where):
    assert user_message(exc) == f"{DISK_FULL_MESSAGE} ({where})" and expected(exc)
    assert user_message(exc).startswith("the disk is full: delete runs or exports")


def test_unexpected_errors_say_what_happened_in_one_line_and_where_to_look():
    exc = KeyError("first line\nsecond line")
    assert not expected(exc)
    assert user_message(ValueError("bad value\nmore"), "train.log") == (
        "unexpected error (ValueError: bad value); see train.log"
    )
    assert "\n" not in user_message(exc)


def test_an_error_raised_with_a_message_keeps_its_code_and_says_the_english_text():
    error = DataError(msg("data.one_class", name="cat"))
    assert str(error) == "only one class (cat) has images: a classifier needs at least two class folders"
    assert coded(error) == error.message == msg("data.one_class", name="cat")
    copy = pickle.loads(pickle.dumps(IngestError(msg("data.no_classes", place="'x'"), {"skipped": []})))
    assert (
        copy.message.code == "data.no_classes" and copy.report == {"skipped": []} and str(copy).startswith("no class")
    )
    assert ConfigError("plain words").message == msg("text", text="plain words")


def test_failures_of_any_kind_have_a_code():
    assert coded(MemoryError()).code == "error.out_of_memory"
    assert coded(OSError(errno.ENOSPC, "No space left on device", "/x")).params["where"] == "/x"
    assert coded(PermissionError(errno.EACCES, "Permission denied", "/x")).code == "error.files"
    unexpected = coded(ValueError("bad"), "train.log")
    assert unexpected.code == "error.unexpected" and unexpected.params["see"] == msg("error.see_log", file="train.log")
    assert str(coded(ValueError("bad"))) == "unexpected error (ValueError: bad)"
