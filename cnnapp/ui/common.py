"""Helpers the tabs share: error conversion, engine messages in the page's language, run pickers, number formatting,
status badges and training curves."""

from __future__ import annotations

import functools
import html
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import gradio as gr
import gradio.queueing
import pandas as pd

from cnnapp.data.examples import BUNDLED, BUNDLED_NAME
from cnnapp.errors import CnnappError
from cnnapp.jobs import sessions
from cnnapp.messages import ENGLISH, Message, msg, render
from cnnapp.runs import ACTIVE, EVENTS, STATES, RunDir, stalled, time_left
from cnnapp.ui.i18n import DEFAULT, T, lang, say
from cnnapp.ui.strings import STRINGS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

F = TypeVar("F", bound=Callable[..., Any])
PRIVATE = {"api_visibility": "private"}  # UI events are not part of the HTTP API
# `gr.on`'s default trigger mode ("once") drops a trigger that comes while the handler is still running, so a panel
# following a state could keep showing the state before it; these handlers run once more, with the newest values
LATEST = "always_last"
KEEP_LAST = {"trigger_mode": LATEST, **PRIVATE}  # a private event that ends on the newest values
CURVE_COLORS = {"train": "#6366f1", "validation": "#f59e0b"}
EXAMPLE_DATASET = BUNDLED


# what a command-line flag in an engine message is called in the app
FLAG_WORDS = {
    "arch": "the architecture",
    "batch-size": "the batch size",
    "data": "a dataset (1 · Data tab)",
    "device": "the device",
    "epochs": "the number of epochs",
    "format": "the format",
    "freeze": "“Freeze the backbone”",
    "img-size": "the image size",
    "lr-backbone": "the backbone learning rate",
    "lr-head": "the head learning rate",
    "no-pretrained": "“Start from ImageNet weights” unticked",
    "pretrained": "“Start from ImageNet weights”",
    "token": "an access token",
    "unfreeze-epochs": "“Then unfreeze for … epochs”",
    "weights": "your own weights file (command line only)",
}
FLAG = re.compile(r"--([a-z][a-z0-9-]*)(?: (?:FILE|PATH|DIR|N))?")
COMMAND = re.compile(r"`python -m cnnapp [^`]*`")


def plain(message: str) -> str:
    """An engine message in the app's words: no command-line flags (the fields' names instead), no commands."""
    message = COMMAND.sub("the cnnapp command line (see the README)", message)
    return FLAG.sub(lambda m: FLAG_WORDS.get(m.group(1), "“" + m.group(1).replace("-", " ") + "”"), message)


# what the engine says (`cnnapp.messages`), by code, in each language but English: a page in English renders with
# `ENGLISH` itself, so that the engine's English and the page's never differ
ENGINE = {
    code: {key.removeprefix("engine."): text for key, text in table.items() if key.startswith("engine.")}
    for code, table in STRINGS.items()
    if code != DEFAULT
}


def engine_text(message: Message | dict | None, fallback: str = "") -> str:
    """An engine message, or its stored form (`Message.to_dict`), in the page's language; `fallback` (the English
    text that files from before the codes hold alone) when there is none. Never matched by its English text."""
    if not isinstance(message, Message):
        message = Message.from_dict(message)
    if message is None:
        return fallback
    code = lang()
    return render(message, ENGLISH if code == DEFAULT else ENGINE[code])


def run_message(status: dict) -> str:
    """A run's status message in the page's language and the app's words (`plain`)."""
    return plain(engine_text(status.get("message_code"), status.get("message") or ""))


def error_text(exc: CnnappError) -> str:
    """A user-facing error in the page's language and the app's words."""
    return plain(engine_text(exc.message))


def run_name(status: dict, fallback: str = "") -> str:
    """A run's name in the page's language: a default name's parts translated, a name someone typed as typed."""
    return engine_text(status.get("name_code"), status.get("name") or fallback)


def listed_name(root: Path, run_id: str, name: str) -> str:
    """`run_name` of a run listed by `sessions.list_runs` (whose `name` is the English one)."""
    return run_name(RunDir.of(run_id, root).status(), name)


def log_tail(run: RunDir, lines: int) -> str:
    """The last `lines` of the run's log, the trainer's usual lines in the page's language; the others (warnings,
    tracebacks, progress bars) as they are.

    A usual line is recorded with its code beside the log (`Progress.note`), with the English text it was written
    with: the line in the log is found by that text, so rewording the engine's English loses nothing."""
    tail = run.log_tail(lines)
    coded = _log_lines(run) if tail else {}
    return "\n".join(engine_text(coded[line]) if line in coded else line for line in tail.split("\n"))


def _log_lines(run: RunDir) -> dict[str, Message]:
    """The run's coded log lines by their English text."""
    found = {}
    try:
        with open(run.file(EVENTS), "rb") as events:
            for line in events:
                event = _json_line(line) if b'"log"' in line else None
                message = Message.from_dict(event.get("log")) if isinstance(event, dict) else None
                if message is not None and isinstance(event.get("text"), str):
                    found[event["text"]] = message
    except OSError:
        return {}
    return found


def _json_line(line: bytes) -> Any:
    try:
        return json.loads(line)
    except ValueError:  # a line being written
        return None


# what a value no page sends (a hostile or broken client's: a list for a name, NaN for a count) raises in a handler
BAD_INPUT = (TypeError, ValueError, AttributeError, KeyError, IndexError)


def user_errors(fn: F, escape: bool = True) -> F:
    """Turn cnnapp's user-facing errors into `gr.Error` (a clear message in one line, never a traceback).

    Applied one way: handlers raise CnnappError like any other code, and each tab's `build()` wraps a
    handler where it wires it to an event (`user_errors(partial(fn, root))`), so handlers stay plain
    functions that call each other and are tested directly. The browser shows the message in the page's language
    and the app's words (`error_text`) as HTML, so escaped; with `escape` False (API replies) it is the engine's
    English text. A message that quotes the caller's input stays one line.

    A browser's values can be anything JSON holds: a handler given what no page sends fails with one of `BAD_INPUT`,
    which answers "could not read this request" in one line, and text that could not be sent back (a lone
    surrogate: JSON allows it, UTF-8 does not; echoed, it broke the visitor's event stream) is refused before the
    handler runs. Either is logged as one line, as gradio logs a failed request (`request_log`), so that a real bug
    shows there.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _sendable([*args, *kwargs.values()])
            return fn(*args, **kwargs)
        except CnnappError as exc:
            text = " ".join((error_text(exc) if escape else str(exc)).splitlines())
            raise gr.Error(html.escape(text, quote=False) if escape else text, print_exception=False) from None
        except BAD_INPUT:
            gradio.queueing.traceback.print_exc()  # once installed, the app's one-line, rate-limited request log
            raise gr.Error(say("common.bad_input", None if escape else DEFAULT), print_exception=False) from None

    return wrapper  # type: ignore[return-value]


def _sendable(values: list[Any]) -> None:
    """Raise UnicodeEncodeError for text in `values` (or in their lists and dicts) that is not valid UTF-8."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if not value.isascii():
                value.encode()
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())


def api_errors(fn: F) -> F:
    """`user_errors` for HTTP API endpoints: the message travels as plain text."""
    return user_errors(fn, escape=False)


def run_label(row: Any, root: Path) -> str:
    """'name · dataset · accuracy · date' for a row of `sessions.list_runs` (the name in the page's language, the
    state while there is no accuracy; the dataset only once when the name says it already, as default names do)."""
    name = listed_name(root, row.run_id, row.name)
    score = state_name(row.state) if pd.isna(row.best_val_acc) else pct(row.best_val_acc)
    date = row.created.replace("T", " ")[:16] if isinstance(row.created, str) else ""
    dataset = engine_text(msg("dataset.example")) if row.dataset == BUNDLED_NAME else str(row.dataset)
    dataset = "" if dataset in str(name) else dataset
    return " · ".join(str(part) for part in (name, dataset, score, date) if part)


def session_runs(
    root: Path, session: str | None, needs: str | None = None, dataset: dict | None = None
) -> tuple[list[tuple[str, str]], str | None]:
    """(label, run id) of the session's runs, newest first, and the best completed run trained on `dataset`.

    With `needs`, only the runs having that run file are listed. The best run has the highest validation
    accuracy (the newest among equals); None when no listed run was trained on `dataset` and completed.
    """
    frame = sessions.list_runs(root, session)
    rows = [r for r in frame.itertuples() if not needs or RunDir.of(r.run_id, root).file(needs).is_file()]
    data = Path(dataset["path"]).resolve() if dataset and dataset.get("path") else None
    trained_on_it = [
        r
        for r in rows
        if data
        and r.state == "completed"
        and not pd.isna(r.best_val_acc)
        and Path(RunDir.of(r.run_id, root).config().get("data") or "").resolve() == data
    ]
    best = max(trained_on_it, key=lambda r: r.best_val_acc, default=None)  # the first, the newest, wins ties
    return [(run_label(r, root), r.run_id) for r in rows], best.run_id if best is not None else None


def run_dropdown(
    choices: list[tuple[str, str]],
    current: Any,
    preferred: str | None = None,
    best: str | None = None,
    multiselect: bool = False,
) -> gr.Dropdown:
    """A refreshed run list; its value follows one order in every tab.

    The run last started or picked elsewhere (`preferred`) when listed, else the current choice when
    still listed, else the best completed run for the current dataset (`best`, see `session_runs`),
    else the first choice (the newest run), else nothing. A multi-selection keeps those of its current
    runs that are still listed.
    """
    values = [value for _, value in choices]
    if multiselect:
        return gr.Dropdown(choices=choices, value=[v for v in (current or []) if v in values], multiselect=True)
    value = next((c for c in (preferred, current, best) if c in values), values[0] if values else None)
    return gr.Dropdown(choices=choices, value=value)


def pct(value: Any) -> str:
    """0.853 → '85.3%'; missing → '—'."""
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{float(value):.1%}"


def duration(seconds: Any) -> str:
    """Seconds → '42 s', '3 min 05 s', '1 h 02 min'; missing → '—'."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    s = round(float(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def state_name(state: str) -> str:
    """A run state in the page's language ("stopping" is a running run asked to stop)."""
    return say(f"common.state_{state if state in (*STATES, 'stopping') else 'unknown'}")


def badge(state: str) -> str:
    """A coloured state label (HTML); "stopping" is a running run asked to stop."""
    state = state if state in (*STATES, "stopping") else "unknown"
    return f'<span class="cnn-badge {state}">{state_name(state)}</span>'


def shown_state(run: RunDir, status: dict) -> str:
    """The state to show: "stopping" from the moment a stop is asked until the run has ended."""
    state = status.get("state", "unknown")
    return "stopping" if state in ACTIVE and run.stop_requested() else state


def progress_html(run: RunDir, status: dict) -> str:
    """A progress bar with epoch, batch and time left, from the run's newest progress event."""
    state = status.get("state", "unknown")
    epochs = status.get("epochs") or 0
    event = run.last_event() or {}
    if state == "completed":
        fraction, text = 1.0, say("common.finished_epochs", epochs=epochs)
    elif (
        state == "running"
        and {"epoch", "epochs", "batch", "batches"} <= event.keys()
        and event.get("t", 0) >= (status.get("launched") or 0)  # not an event from before a Resume
    ):
        epoch, total, batch, batches = (int(event[k]) for k in ("epoch", "epochs", "batch", "batches"))
        fraction = min(max((epoch - 1 + batch / max(batches, 1)) / max(total, 1), 0.0), 1.0)
        text = say("common.epoch_batch", epoch=epoch, epochs=total, batch=batch, batches=batches)
        left = time_left(event)  # blank until the trainer can estimate it
        if stalled(event):
            text += say("common.waiting_for_batch")
        elif left is not None:
            text += say("common.time_left", left=duration(left))
    elif state == "ingesting" and status.get("files_total"):
        fraction = min(1.0, (status.get("files_done") or 0) / status["files_total"])
        text = html.escape(run_message(status) or state_name(state), quote=False)
    else:
        fraction = (status.get("epoch") or 0) / epochs if epochs else 0.0
        text = html.escape(run_message(status) or state_name(state), quote=False)
    return (
        f'<div class="cnn-progress" role="progressbar" aria-valuenow="{fraction * 100:.0f}" '
        'aria-valuemin="0" aria-valuemax="100">'
        f'<div style="width: {fraction * 100:.1f}%"></div></div><div class="cnn-progress-text">{text}</div>'
    )


def curves(metrics: pd.DataFrame) -> tuple[Figure | None, Figure | None]:
    """Loss and accuracy (%) per epoch as figures (integer epoch ticks, a marker per epoch); None before epoch 1."""
    from cnnapp.training.evaluate import line_figure  # matplotlib: loaded by the first handler, not with the page

    if metrics.empty:
        return None, None
    splits = {"train": say("common.split_train"), "validation": say("common.split_validation")}
    epoch = say("common.epoch_axis")
    colors = {splits[split]: color for split, color in CURVE_COLORS.items()}

    def melt(train: str, val: str, scale: float) -> pd.DataFrame:
        frame = metrics[["epoch", train, val]].rename(
            columns={"epoch": epoch, train: splits["train"], val: splits["validation"]}
        )
        long = frame.melt(id_vars=epoch, var_name="split", value_name="value").dropna()
        return long.astype({epoch: int, "value": float}).assign(value=lambda f: f["value"] * scale)

    return (
        line_figure(
            melt("train_loss", "val_loss", 1.0), epoch, "value", "split", say("common.loss_axis"), colors=colors
        ),
        line_figure(
            melt("train_acc", "val_acc", 100.0), epoch, "value", "split", say("common.accuracy_axis"), (0, 100), colors
        ),
    )


def curve_plots() -> tuple[gr.Plot, gr.Plot]:
    """Loss and accuracy side by side (one above the other on a phone), empty until `curves` fills them."""
    with gr.Row():
        loss = gr.Plot(label=T("common.loss"), format="png", min_width=260, elem_classes="cnn-curve")
        accuracy = gr.Plot(label=T("common.accuracy"), format="png", min_width=260, elem_classes="cnn-curve")
    return loss, accuracy
