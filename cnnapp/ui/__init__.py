"""The Gradio app: `build_app()` assembles the header, the HTTP API and one tab per module in `TABS`.

A later tab (Evaluate, Compare, Explain, Learn, Export) is a module with `TITLE` and `build(ctx)`,
added to `TABS`.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

import gradio as gr

from cnnapp import workspace
from cnnapp.ui import compare_tab, data_tab, endpoints, evaluate_tab, explain_tab, export_tab, learn_tab, predict_tab, runs_tab, train_tab
from cnnapp.ui.context import UIContext
from cnnapp.ui.dataset_state import default_dataset
from cnnapp.ui.theme import CSS, HEAD, HEADER, THEME
from cnnapp.worker import JobManager

TABS: list[ModuleType] = [data_tab, train_tab, predict_tab, runs_tab, evaluate_tab, compare_tab, explain_tab, export_tab, learn_tab]
DEFAULT_ARCH = "tf_efficientnet_lite0"
MAX_UPLOAD = os.environ.get("CNNAPP_MAX_UPLOAD", "2gb")


def build_app(root: Path | None = None, jobs: JobManager | None = None) -> gr.Blocks:
    """The whole app; `root` is the workspace (default `$CNNAPP_HOME`), `jobs` the training job manager."""
    root = Path(root) if root else workspace.home()
    with gr.Blocks(title="cnnapp · train image classifiers") as demo:
        gr.Markdown(HEADER, elem_id="cnn-header")
        ctx = UIContext(
            demo=demo,
            root=root,
            jobs=jobs or JobManager(root),
            dataset=gr.State(default_dataset()),
            selected_run=gr.State(None),
            runs_changed=gr.State(0.0),
            arch=gr.Dropdown(
                [DEFAULT_ARCH], value=DEFAULT_ARCH, allow_custom_value=True, label="Architecture",
                info="any timm model name works too", render=False, elem_id="arch",
            ),
            augment=gr.Dropdown(
                data_tab.AUGMENT_CHOICES, value="none", allow_custom_value=True, label="Augmentations",
                info="preset or list, e.g. hflip,crop=0.8,rotate=15 (preview on the Data tab)", render=False,
            ),
        )
        endpoints.build(ctx)
        with gr.Tabs():
            for tab in TABS:
                with gr.Tab(tab.TITLE):
                    tab.build(ctx)
    for fn in demo.fns.values():  # the HTTP API is exactly the documented endpoints; UI events stay private
        if fn.api_name not in endpoints.ENDPOINTS:
            fn.api_visibility = "private"
    return demo


def launch_options(**overrides: Any) -> dict[str, Any]:
    """`demo.launch()` arguments: theme, CSS, the folder-upload script, upload limit (and any overrides)."""
    return {"theme": THEME, "css": CSS, "head": HEAD, "max_file_size": MAX_UPLOAD, "footer_links": ["api"], **overrides}
