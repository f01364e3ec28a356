"""The Train tab's "Suggest a learning rate": the range test in a worker process, its curve, the rates filled in."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from cnnapp.errors import RunError
from cnnapp.jobs.worker import JobManager
from cnnapp.ui.common import PRIVATE, user_errors
from cnnapp.ui.i18n import T, say
from cnnapp.ui.strings import STRINGS

TIMEOUT_S = 600


def run_finder(jobs: JobManager, values: dict[str, Any]) -> dict[str, Any]:
    """The range test's result (see `training.lr_find.LRFind`), computed in a worker process, not the server's.

    The form's values are resolved here, as a training's are (a bad setting is refused before a process starts),
    and reach the process as a training's do: a JSON config file (`lr-find --config FILE`).
    """
    from cnnapp.training.config import TrainConfig, resolve  # resolve imports timm: not on the first page

    cfg = resolve(TrainConfig.from_dict(values))
    with tempfile.TemporaryDirectory(prefix="cnnapp-lr-find-") as folder:
        config = Path(folder) / "config.json"
        cfg.save(config)
        try:
            done = jobs.run_tool(["lr-find", "--config", str(config), "--format=json", "--quiet"], TIMEOUT_S)
        except RunError as exc:
            raise RunError(say("train.lr_failed", reason=exc)) from None
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        reason = errors[-1].removeprefix("error:").strip() if errors else say("train.lr_worker_failed")
        raise RunError(say("train.lr_failed", reason=reason))
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rounded(lr: float) -> float:
    return float(f"{lr:.2g}")


def explain(result: dict[str, Any]) -> str:
    """What was suggested and why, in the user's words."""
    lr = _rounded(result["lr_head"])
    method = result["method"]
    text = say(
        "train.lr_suggested",
        lr=f"{lr:g}",
        method=say(f"train.lr_{method}") if f"train.lr_{method}" in STRINGS["en"] else method,
        steepest=f"{_rounded(result['steepest']):g}",
        seconds=f"{result['seconds']:.0f}",
        steps=result["steps"],
    ) + say("train.lr_frozen" if result["frozen"] else "train.lr_whole")
    backbone = result["lr_backbone"]
    if backbone is not None:
        ratio = backbone / result["lr_head"]
        rule = say("train.lr_same") if abs(ratio - 1) < 1e-9 else say("train.lr_times", ratio=f"{ratio:g}")
        if abs(ratio - 0.1) < 1e-9:
            rule = say("train.lr_tenth")
        text += say("train.lr_backbone_gets", lr=f"{_rounded(backbone):g}", rule=rule)
    return text


def suggest(jobs: JobManager, values: dict[str, Any]) -> tuple:
    """Run the finder on a training's options (the form's); show its curve and fill in the learning rates."""
    from cnnapp.training.lr_find import curve_figure  # imports torch: not on the first page

    result = run_finder(jobs, values)
    backbone = result["lr_backbone"]
    return (
        gr.Plot(curve_figure(result), visible=True),
        _rounded(result["lr_head"]),
        _rounded(backbone) if backbone is not None else gr.skip(),
        gr.Markdown(explain(result), visible=True),
    )


def render() -> tuple[gr.Button, gr.Plot, gr.Markdown]:
    """The button, the curve and the explanation (hidden until a suggestion exists)."""
    button = gr.Button(T("train.suggest"), size="sm", elem_id="suggest-lr")
    curve = gr.Plot(label=T("train.lr_curve"), format="png", visible=False, elem_id="lr-curve")
    note = gr.Markdown(visible=False, elem_id="lr-note")
    return button, curve, note


def wire(
    jobs: JobManager,
    options: Callable[..., dict[str, Any]],
    parts: tuple[gr.Button, gr.Plot, gr.Markdown],
    form: list[gr.components.Component],
    lr_head: gr.Number,
    lr_backbone: gr.Number,
) -> None:
    """Run the finder on `options(*form)` (the training options of the form's fields) when the button is pressed."""
    button, curve, note = parts
    button.click(
        user_errors(lambda *fields: suggest(jobs, options(*fields))),
        form,
        [curve, lr_head, lr_backbone, note],
        trigger_mode="once",
        **PRIVATE,
    )
