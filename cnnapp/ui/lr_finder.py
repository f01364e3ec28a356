"""The Train tab's "Suggest a learning rate": the range test in a worker process, its curve, the rates filled in."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import gradio as gr

from cnnapp.errors import RunError
from cnnapp.ui.common import PRIVATE, user_errors
from cnnapp.worker import JobManager

TIMEOUT_S = 600


def tool_args(values: dict[str, Any]) -> list[str]:
    """The form's values, validated as a training's are, as `lr-find` options."""
    from cnnapp.config import TrainConfig, resolve  # resolve imports timm: not on the first page

    cfg = resolve(TrainConfig.from_dict(values))
    args = ["lr-find"]
    for name, value in cfg.to_dict().items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + flag[2:])
        elif value is not None:
            args.append(f"{flag}={value}")
    return [*args, "--format=json", "--quiet"]


def run_finder(jobs: JobManager, values: dict[str, Any]) -> dict[str, Any]:
    """The range test's result (see `cnnapp.lr_find.LRFind`), computed in a worker process, not the server's."""
    args = tool_args(values)
    try:
        done = jobs.run_tool(args, TIMEOUT_S)
    except RunError as exc:
        raise RunError(f"Could not suggest a learning rate: {exc}") from None
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        reason = errors[-1].removeprefix("error:").strip() if errors else "the worker process failed unexpectedly"
        raise RunError(f"Could not suggest a learning rate: {reason}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rounded(lr: float) -> float:
    return float(f"{lr:.2g}")


def explain(result: dict[str, Any]) -> str:
    """What was suggested and why, in the user's words."""
    lr = _rounded(result["lr_head"])
    text = (
        f"Suggested learning rate **{lr:g}** for the head: the {result['method']} of the loss curve "
        f"(it falls fastest at {_rounded(result['steepest']):g}). "
        f"Found in {result['seconds']:.0f} s over {result['steps']} steps"
        + (", training only the head." if result["frozen"] else ", training the whole network.")
    )
    backbone = result["lr_backbone"]
    if backbone is not None:
        ratio = backbone / result["lr_head"]
        rule = "the same rate" if abs(ratio - 1) < 1e-9 else f"the head's rate × {ratio:g}"
        if abs(ratio - 0.1) < 1e-9:
            rule = "the head's rate ÷ 10, the usual choice for fine-tuning"
        text += f" The backbone gets {_rounded(backbone):g}: {rule}."
    return text


def suggest(jobs: JobManager, settings: Callable[..., dict[str, Any]], *form: Any) -> tuple:
    """Run the finder on the form's settings; show its curve and fill in the learning rates."""
    from cnnapp.lr_find import curve_figure  # imports torch: not on the first page

    result = run_finder(jobs, settings(*form))
    backbone = result["lr_backbone"]
    return (
        gr.Plot(curve_figure(result), visible=True),
        _rounded(result["lr_head"]),
        _rounded(backbone) if backbone is not None else gr.skip(),
        gr.Markdown(explain(result), visible=True),
    )


def render() -> tuple[gr.Button, gr.Plot, gr.Markdown]:
    """The button, the curve and the explanation (hidden until a suggestion exists)."""
    button = gr.Button("Suggest a learning rate", size="sm", elem_id="suggest-lr")
    curve = gr.Plot(label="Loss against learning rate", format="png", visible=False, elem_id="lr-curve")
    note = gr.Markdown(visible=False, elem_id="lr-note")
    return button, curve, note


def wire(
    jobs: JobManager,
    settings: Callable[..., dict[str, Any]],
    parts: tuple[gr.Button, gr.Plot, gr.Markdown],
    form: list[gr.components.Component],
    lr_head: gr.Number,
    lr_backbone: gr.Number,
) -> None:
    """Run the finder on `form` (the fields `settings` reads) when the button is pressed."""
    button, curve, note = parts
    button.click(
        user_errors(partial(suggest, jobs, settings)),
        form,
        [curve, lr_head, lr_backbone, note],
        trigger_mode="once",
        **PRIVATE,
    )
