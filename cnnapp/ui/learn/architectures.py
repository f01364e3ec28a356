"""The Learn tab's Architectures sub-tab: the course's CNNs in one table (parameters computed, ILSVRC results)."""

from __future__ import annotations

from functools import partial
from typing import Any

import gradio as gr
import pandas as pd

from cnnapp.ui.context import UIContext
from cnnapp.ui.i18n import T
from cnnapp.ui.learn.names import names
from cnnapp.ui.learn.shared import Section, event


def _place(text: Any) -> Any:
    """ "1st in 2012" (the course's ILSVRC place) in the visitor's language."""
    for english, shown in names("places").items():
        if isinstance(text, str) and text.startswith(english):
            return shown + text[len(english) :]
    return text


def architectures() -> pd.DataFrame:
    """The architectures table with readable parameter counts."""
    from cnnapp.course import convolution

    table = convolution.architectures_table()
    table["params (computed)"] = table["params (computed)"].map("{:,}".format)
    table["ILSVRC place (course)"] = table["ILSVRC place (course)"].map(_place)
    return table.astype(object).where(table.notna(), "").rename(columns=names("arch_columns"))


def build(ctx: UIContext) -> Section:
    """The sub-tab's layout; the table is filled when the page loads."""
    gr.Markdown(T("learn.arch_text"))
    table = gr.Dataframe(
        interactive=False,
        wrap=True,
        label=T("learn.architectures"),
        max_height=900,
        elem_id="learn-architectures",
        elem_classes="cnn-table",
        column_widths=["11%", "8%", "5%", "6%", "9%", "7%", "6%", "6%", "8%", "34%"],
    )
    return Section({"table": table}, partial(ctx.demo.load, **event(architectures, [], [table])))
