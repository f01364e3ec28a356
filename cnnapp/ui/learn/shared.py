"""What the Learn tab's sub-tabs share: the `Section` each one hands the tab, its events' form, its tables' style."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd

from cnnapp.ui.common import KEEP_LAST, user_errors
from cnnapp.ui.i18n import say


@dataclass
class Section:
    """A built sub-tab as the tab's shared events need it.

    `parts` are its components by name; `draw` the events that draw it from its current inputs (the tab runs them
    after the page's starting values, or when the sub-tab is opened); `wire` registers the events of its own inputs.
    The tab calls each `wire` in turn, so the page's events keep one order.
    """

    parts: dict[str, Any]
    wire: Callable[[], Any]
    draw: list[dict] = field(default_factory=list)


def event(fn: Callable, inputs: list, outputs: list, **extra: Any) -> dict:
    """An event's arguments: the handler with the user's errors shown, kept out of the HTTP API.

    A trigger that comes while the handler runs is not dropped (`LATEST`): the figure always ends on the newest values.
    An event that queues work passes `trigger_mode="once"`.
    """
    return {"fn": user_errors(fn), "inputs": inputs, "outputs": outputs, **KEEP_LAST, **extra}


def table(array: np.ndarray) -> pd.DataFrame:
    """A matrix for display: whole numbers without decimals, others rounded."""
    a = np.asarray(array)
    return pd.DataFrame(a.astype(int) if np.allclose(a, a.round()) else a.round(3))


def texts(*keys: str) -> dict[str, str]:
    """`learn.<key>` of each key, by key: the labels the engine's figures take."""
    return {key: say(f"learn.{key}") for key in keys}


def dataframe(label: Any, elem_id: str, interactive: bool, **layout: Any) -> gr.Dataframe:
    """A table the user edits (`interactive`) or one of results, in the compact `cnn-table` style."""
    return gr.Dataframe(interactive=interactive, label=label, elem_id=elem_id, elem_classes="cnn-table", **layout)
