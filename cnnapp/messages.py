"""What the engine tells a person, as a message code with parameters.

The engine (trainer, job manager, ingestion, run files) stores a `Message`: a code and its parameters, with its
English text beside them for the CLI and the logs (`ENGLISH`). A page renders the code in its own language (the UI's
`engine.<code>` strings) and shows the English text only for a code it has no words for: nothing is matched by its
English text, so rewording a message here never loses its translation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# code → English text with `{param}` fields; a parameter may itself be a Message (rendered in the same language)
ENGLISH: dict[str, str] = {
    "run.starting": "starting",
    "run.starting_process": "starting the training process",
    "run.reading": "reading the dataset",
    "run.building": "building the model",
    "run.waiting": "waiting for a free training slot",
    "run.cancelled_before_start": "cancelled before it started",
    "run.stopped": "stopped on request; the best weights so far and a checkpoint were saved",
    "run.epoch": "epoch {epoch}/{epochs} ({stage})",
    "stage.full": "full",
    "stage.frozen": "frozen",
    "stage.unfrozen": "unfrozen",
    "text": "{text}",  # a message that has no code of its own yet: its English text as is
    # job manager
    "run.waiting_resume": "waiting for a free training slot to resume from its checkpoint",
    "run.waiting_restart": "waiting for a free training slot to start again (no checkpoint was saved)",
    "run.shut_down_before_start": "the app shut down before this run started",
    "run.app_stopped_before_start": "the app stopped before this queued run started",
    "run.start_failed": "could not start the training process ({reason})",
    "run.process_gone": "the training process (pid {pid}) is gone (the machine restarted)",
    "run.process_ended": "the training process (pid {pid}) ended without finishing "
    "(killed, crashed or the machine restarted)",
    "run.ended_unknown": "the training process ended without finishing (it was started before the app restarted)",
    "run.killed": "the training process was killed ({signal})",
    "run.exit_code": "the training process exited with code {exit_code}; see {log}",
    "run.sending_signal": "the process did not stop in time; sending {signal}",
    "run.stopped_on_request": "stopped on request",
    "run.stopped_killed": "stopped on request (the process had to be killed)",
    "run.time_limit": "stopped after {minutes:g} min, this server's limit for one run (set by CNNAPP_MAX_RUN_MINUTES); "
    "the best weights so far and a checkpoint were saved: resume it to continue",
}


@dataclass(frozen=True)
class Message:
    """A code from `ENGLISH` with its parameters; `str()` is the English text."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self, ENGLISH)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form stored in run files: `{"code": ..., "params": {...}}` (nested messages as dicts)."""
        return {"code": self.code, "params": {k: _jsonable(v) for k, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Any) -> Message | None:
        """The message stored by `to_dict`, or None for anything not of that shape (an old or damaged file)."""
        if not isinstance(data, dict) or not isinstance(data.get("code"), str):
            return None
        params = data.get("params")
        if not isinstance(params, dict):
            return None
        return cls(data["code"], {str(k): cls.from_dict(v) or v for k, v in params.items()})


def msg(code: str, **params: Any) -> Message:
    """The message `code` with `params` (the code must be one of `ENGLISH`'s)."""
    if code not in ENGLISH:
        raise KeyError(f"unknown message code {code!r}: add it to cnnapp.messages.ENGLISH")
    return Message(code, params)


def text(value: Any) -> Message:
    """A message for text that has no code of its own: shown as it is in every language."""
    return value if isinstance(value, Message) else Message("text", {"text": str(value)})


def render(message: Message, table: dict[str, str]) -> str:
    """`message` in the language of `table` (code → template); a code missing there falls back to English."""
    template = table.get(message.code) or ENGLISH.get(message.code) or message.code
    values = {k: render(v, table) if isinstance(v, Message) else v for k, v in message.params.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a template and its parameters out of step: never crash a page
        return ENGLISH.get(message.code, message.code).format_map(_Missing(values))


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _jsonable(value: Any) -> Any:
    return value.to_dict() if isinstance(value, Message) else value
