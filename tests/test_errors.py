"""One mapping from exceptions to the line a user reads."""

import errno

import pytest
import torch

from cnnapp.errors import OUT_OF_MEMORY, ConfigError, IngestError, expected, user_message


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
    message = user_message(OSError(errno.ENOSPC, "No space left on device", "/runs/x/metrics.csv"))
    assert message == (
        "could not read or write files (No space left on device: /runs/x/metrics.csv); check disk space and permissions"
    )


def test_unexpected_errors_say_what_happened_in_one_line_and_where_to_look():
    exc = KeyError("first line\nsecond line")
    assert not expected(exc)
    assert user_message(ValueError("bad value\nmore"), "; see train.log") == (
        "unexpected error (ValueError: bad value); see train.log"
    )
    assert "\n" not in user_message(exc)
