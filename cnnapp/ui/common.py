"""Helpers the tabs share: error conversion, run pickers, number formatting, status badges and training curves."""

from __future__ import annotations

import functools
import html
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import gradio as gr
import pandas as pd

from cnnapp import sessions, workspace
from cnnapp.errors import CnnappError
from cnnapp.runs import RunDir

if TYPE_CHECKING:
    from matplotlib.figure import Figure

F = TypeVar("F", bound=Callable[..., Any])
PRIVATE = {"api_visibility": "private"}  # UI events are not part of the HTTP API
# `gr.on`'s default trigger mode ("once") drops a trigger that comes while the handler is still running, so a panel
# following a state could keep showing the state before it; these handlers run once more, with the newest values
LATEST = "always_last"
CURVE_COLORS = {"train": "#6366f1", "validation": "#f59e0b"}
EXAMPLE_DATASET = Path(__file__).resolve().parents[2] / "assets" / "fashion-mnist-mini"


def user_errors(fn: F, escape: bool = True) -> F:
    """Turn cnnapp's user-facing errors into `gr.Error` (a clear message, never a traceback).

    Applied one way: handlers raise CnnappError like any other code, and each tab's `build()` wraps a
    handler where it wires it to an event (`user_errors(partial(fn, root))`), so handlers stay plain
    functions that call each other and are tested directly. The browser shows the message as HTML,
    so it is escaped unless `escape` is False (API replies).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CnnappError as exc:
            raise gr.Error(html.escape(str(exc), quote=False) if escape else str(exc), print_exception=False) from None

    return wrapper  # type: ignore[return-value]


def api_errors(fn: F) -> F:
    """`user_errors` for HTTP API endpoints: the message travels as plain text."""
    return user_errors(fn, escape=False)


def accuracy_label(row: Any) -> str:
    """'<run id> · <arch> · val acc 85.3%' for a row of `sessions.list_runs`."""
    return f"{row.run_id} · {row.arch} · val acc {pct(row.best_val_acc)}"


def session_runs(
    root: Path, session: str | None, needs: str | None = None, label: Callable[[Any], str] = accuracy_label
) -> list[tuple[str, str]]:
    """(label, run id) of the session's runs, newest first; with `needs`, only those having that run file."""
    frame = sessions.list_runs(root, session)
    rows = [r for r in frame.itertuples() if not needs or (workspace.runs_dir(root) / r.run_id / needs).is_file()]
    return [(label(r), r.run_id) for r in rows]


def run_dropdown(
    choices: list[tuple[str, str]], current: Any, preferred: str | None = None, multiselect: bool = False
) -> gr.Dropdown:
    """A refreshed run list; its value follows one order in every tab.

    The run last started or picked elsewhere (`preferred`) when listed, else the current choice when
    still listed, else the first choice (the newest run), else nothing. A multi-selection keeps those
    of its current runs that are still listed.
    """
    values = [value for _, value in choices]
    if multiselect:
        return gr.Dropdown(choices=choices, value=[v for v in (current or []) if v in values], multiselect=True)
    value = next((c for c in (preferred, current) if c in values), values[0] if values else None)
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


def badge(state: str) -> str:
    """A coloured state label (HTML); "stopping" is a running run asked to stop."""
    known = ("queued", "running", "stopping", "completed", "failed", "cancelled", "interrupted")
    state = state if state in known else "unknown"
    return f'<span class="cnn-badge {state}">{"stopping…" if state == "stopping" else state}</span>'


def shown_state(run: RunDir, status: dict) -> str:
    """The state to show: "stopping" from the moment a stop is asked until the run has ended."""
    state = status.get("state", "unknown")
    return "stopping" if state in ("queued", "running") and run.stop_requested() else state


def progress_html(run: RunDir, status: dict) -> str:
    """A progress bar with epoch, batch and time left, from the run's newest progress event."""
    state = status.get("state", "unknown")
    epochs = status.get("epochs") or 0
    event = run.last_event() or {}
    if state == "completed":
        fraction, text = 1.0, f"finished {epochs} epoch(s)"
    elif (
        state == "running"
        and {"epoch", "epochs", "batch", "batches"} <= event.keys()
        and event.get("t", 0) >= (status.get("launched") or 0)  # not an event from before a Resume
    ):
        epoch, total, batch, batches = (int(event[k]) for k in ("epoch", "epochs", "batch", "batches"))
        fraction = min(max((epoch - 1 + batch / max(batches, 1)) / max(total, 1), 0.0), 1.0)
        text = f"epoch {epoch}/{total} · batch {batch}/{batches}"
        if event.get("eta_s"):  # blank until the trainer can estimate it
            left = max(1.0, event["eta_s"] - (time.time() - event.get("t", time.time())))
            text += f" · about {duration(left)} left"
    else:
        fraction = (status.get("epoch") or 0) / epochs if epochs else 0.0
        text = html.escape(status.get("message") or state, quote=False)
    return (
        f'<div class="cnn-progress" role="progressbar" aria-valuenow="{fraction * 100:.0f}" '
        'aria-valuemin="0" aria-valuemax="100">'
        f'<div style="width: {fraction * 100:.1f}%"></div></div><div class="cnn-progress-text">{text}</div>'
    )


def curves(metrics: pd.DataFrame) -> tuple[Figure | None, Figure | None]:
    """Loss and accuracy (%) per epoch as figures (integer epoch ticks, a marker per epoch); None before the first epoch."""
    from cnnapp.evaluate import line_figure  # matplotlib: loaded by the first handler, not with the page

    if metrics.empty:
        return None, None

    def melt(train: str, val: str, scale: float) -> pd.DataFrame:
        frame = metrics[["epoch", train, val]].rename(columns={train: "train", val: "validation"})
        long = frame.melt(id_vars="epoch", var_name="split", value_name="value").dropna()
        return long.astype({"epoch": int, "value": float}).assign(value=lambda f: f["value"] * scale)

    return (
        line_figure(melt("train_loss", "val_loss", 1.0), "epoch", "value", "split", "loss", colors=CURVE_COLORS),
        line_figure(
            melt("train_acc", "val_acc", 100.0), "epoch", "value", "split", "accuracy (%)", (0, 100), CURVE_COLORS
        ),
    )


def curve_plots() -> tuple[gr.Plot, gr.Plot]:
    """Loss and accuracy side by side (one above the other on a phone), empty until `curves` fills them."""
    with gr.Row():
        loss = gr.Plot(label="Loss", format="png", min_width=260, elem_classes="cnn-curve")
        accuracy = gr.Plot(label="Accuracy", format="png", min_width=260, elem_classes="cnn-curve")
    return loss, accuracy
