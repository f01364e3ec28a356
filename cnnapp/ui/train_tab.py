"""Train tab: architecture and settings, Start and Stop, live progress, curves and log of the watched run.

Longer than most modules because the form's many settings are saved, restored and sent as one ordered list.
"""

from __future__ import annotations

import html
import time
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr

from cnnapp.errors import CnnappError, DataError
from cnnapp.jobs import sessions
from cnnapp.jobs.worker import JobManager
from cnnapp.runs import ACTIVE, RunDir
from cnnapp.training.config import OPTIMIZERS, SCHEDULERS, TrainConfig
from cnnapp.training.defaults import OFFLINE_ARCH, PRETRAINED_IMG_SIZE
from cnnapp.ui import lr_finder
from cnnapp.ui.common import (
    LATEST,
    PRIVATE,
    badge,
    curve_plots,
    curves,
    log_tail,
    plain,
    progress_html,
    run_message,
    run_name,
    shown_state,
    user_errors,
)
from cnnapp.ui.context import UIContext
from cnnapp.ui.dataset_state import describe
from cnnapp.ui.i18n import T, say

TITLE = "2 · Train"
POLL_S = 1.0


def idle_status() -> str:
    """What the status shows while no training is followed."""
    return say("train.idle", size=PRETRAINED_IMG_SIZE)  # the default architecture's size: it has ImageNet weights


def arch_card(name: str) -> str:
    """Facts about an architecture, from the registry."""
    from cnnapp.models.registry import count_params, get_spec

    spec = get_spec(name)
    if spec.pretrained_offline:
        weights = say("train.weights_offline")
    elif spec.pretrained_online:
        weights = say("train.weights_online")
    else:
        weights = say("train.weights_none")
    year = f" · {spec.year}" if spec.year else ""
    return f"**{spec.family}{year}** · {html.escape(spec.description, quote=False)}  \n" + say(
        "train.card",
        params=f"{count_params(spec.name) / 1e6:.1f}",
        input=spec.input_size,
        min=spec.min_input_size,
        weights=weights,
    )


def pretrained_box(name: str) -> gr.Checkbox:
    """The pretrained box for an architecture: disabled and unticked, with the reason, when no weights can be loaded."""
    from cnnapp.models.registry import display_name, pretrained_problem

    try:
        problem = pretrained_problem(name)
    except CnnappError:
        return gr.Checkbox()
    if problem:
        reason = say("train.no_weights", problem=problem, arch=display_name(OFFLINE_ARCH))
        return gr.Checkbox(value=False, interactive=False, info=reason)
    return gr.Checkbox(interactive=True, info=None)


def on_arch(name: str) -> tuple:
    """Card and what the architecture allows, whenever it changes (also when a saved form is restored)."""
    try:
        card = arch_card(name)
    except CnnappError as exc:
        return f"⚠ {html.escape(plain(str(exc)), quote=False)}", gr.skip()
    return card, pretrained_box(name)


def arch_defaults(name: str) -> tuple:
    """Sensible settings when the user picks another architecture: its weights if it has them, a small size."""
    from cnnapp.models.registry import get_spec, pretrained_problem  # imports torch: not on the first page
    from cnnapp.training.defaults import recommended_size

    try:
        spec = get_spec(name)
    except CnnappError:
        return gr.skip(), gr.skip(), gr.skip()
    pretrained = pretrained_problem(name) is None
    return (
        gr.Checkbox(value=pretrained),
        gr.Checkbox(value=pretrained),
        gr.Slider(value=recommended_size(name, pretrained), minimum=spec.min_input_size),
    )


def backbone_rate(lr_head: float | None, pretrained: bool) -> float | None:
    """The backbone rate the form shows by default: the head rate ÷ 10 for pretrained weights, else the head rate."""
    return None if not lr_head else float(f"{lr_head / 10 if pretrained else lr_head:.3g}")


def arch_choices() -> gr.Dropdown:
    """The registry's architectures (loaded after the page is shown: importing torch takes seconds)."""
    from cnnapp.models.registry import names

    return gr.Dropdown(choices=names())


def settings(
    dataset: dict | None,
    arch: str,
    pretrained: bool,
    freeze: bool,
    unfreeze_epochs: float,
    epochs: float,
    img_size: float,
    augment: str,
    lr_head: float | None,
    lr_backbone: float | None,
    optimizer: str,
    scheduler: str,
    batch_size: float,
    seed: float,
    patience: float | None = None,
) -> dict[str, Any]:
    """The form as CLI option values (blank fields keep their defaults)."""
    if not dataset:
        raise DataError(say("train.no_dataset"))
    values = {
        "data": dataset["path"],
        "arch": arch,
        "pretrained": pretrained,
        "freeze": freeze and pretrained,
        "unfreeze_epochs": unfreeze_epochs if freeze and pretrained else 0,
        "epochs": epochs,
        "img_size": img_size,
        "augment": augment or "none",
        "lr_head": lr_head,
        "lr_backbone": lr_backbone or None,
        "optimizer": optimizer,
        "scheduler": scheduler,
        "batch_size": batch_size,
        "seed": seed,
        "patience": patience,
    }
    return {k: v for k, v in values.items() if v is not None}


def start(jobs: JobManager, name: str | None, *form: Any) -> tuple:
    """Validate and queue a training (the name, the form's fields, then the session); the timer then follows it.

    While another run is active the new one waits in the queue; the message says its place.
    """
    *fields, session = form
    dataset = fields[0]
    run = jobs.submit({**settings(*fields), "name": name}, session, dataset_name=dataset["name"] if dataset else None)
    place = jobs.position(run.id)
    name = run.status().get("name")
    gr.Info(say("train.queued", name=name, place=place) if place else say("train.starting", name=name))
    return run.id, run.id, time.time(), gr.Timer(active=True), None, ""  # the name was this run's: the box empties


def reattach(jobs: JobManager, session: str | None = None) -> tuple:
    """Once the page knows its session: follow the session's newest queued or running job, if any."""
    active = jobs.active(session)
    run_id = active[0].id if active else None
    return run_id, gr.Timer(active=bool(run_id)), None


def status_line(run: RunDir, status: dict, place: int | None) -> str:
    """Badge, name, id and what is happening (with the place in the queue while waiting)."""
    state = shown_state(run, status)
    message = say("train.stopping") if state == "stopping" else run_message(status)
    if place and state == "queued":
        message = say("train.place", place=place)
    name = html.escape(run_name(status), quote=False)
    return f"{badge(state)} &nbsp;<b>{name}</b> <code>{run.id}</code> · {html.escape(message, quote=False)}"


def refresh(jobs: JobManager, run_id: str | None, seen: Any, session: str | None = None) -> tuple:
    """Read the watched run's files; redraw the curves only when a new epoch arrived."""
    if not run_id:
        return idle_status(), "", None, None, "", gr.Timer(active=False), gr.Button(interactive=False), None, gr.skip()
    try:
        run = sessions.get_run(run_id, jobs.root, session)
    except CnnappError:
        return refresh(jobs, None, seen)
    status = run.reconcile()
    state = status.get("state", "unknown")
    metrics = run.metrics()
    key = [len(metrics), state]
    plots = curves(metrics) if key != seen else (gr.skip(), gr.skip())
    active = state in ACTIVE
    ended = seen is not None and seen[1] in ACTIVE and not active
    return (
        status_line(run, status, jobs.position(run.id)),
        progress_html(run, status),
        *plots,
        log_tail(run, 12),
        gr.Timer(active=active),
        gr.Button(interactive=active and not run.stop_requested()),
        key,
        time.time() if ended else gr.skip(),
    )


def describe_data(root: Path, dataset: dict | None) -> str:
    return describe(dataset, root)


def stop_run(jobs: JobManager, run_id: str | None, session: str | None = None) -> tuple[str, gr.Button]:
    """Stop the watched run gracefully; the status says "stopping…" at once."""
    if not run_id:
        raise DataError(say("train.nothing_to_stop"))
    jobs.stop(run_id, session)
    run = sessions.get_run(run_id, jobs.root, session)
    return status_line(run, run.status(), None), gr.Button(interactive=False)


def save_form(*values: Any) -> dict[str, Any]:
    """The form as saved in the browser (field name → value)."""
    return dict(zip(FORM_FIELDS, values))


def restore_form(saved: dict | None) -> tuple:
    """The saved form's values (a field without a saved value keeps what it shows)."""
    saved = saved if isinstance(saved, dict) else {}
    return tuple(saved[name] if name in saved else gr.skip() for name in FORM_FIELDS)


FORM_FIELDS = (
    "arch",
    "pretrained",
    "freeze",
    "unfreeze_epochs",
    "epochs",
    "img_size",
    "augment",
    "lr_head",
    "lr_backbone",
    "optimizer",
    "scheduler",
    "batch_size",
    "seed",
    "patience",
    "name",
)


def build(ctx: UIContext) -> None:
    """The Train tab."""
    defaults = TrainConfig()
    data_line = gr.Markdown(elem_id="train-data")
    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            ctx.arch.render()
            card = gr.Markdown()
            with gr.Row():
                pretrained = gr.Checkbox(value=True, label=T("train.pretrained"), min_width=140, elem_id="pretrained")
                freeze = gr.Checkbox(value=True, label=T("train.freeze"), min_width=140)
            epochs = gr.Slider(1, 50, value=defaults.epochs, step=1, label=T("train.epochs"), elem_id="epochs")
            unfreeze = gr.Slider(
                0,
                20,
                value=0,
                step=1,
                label=T("train.unfreeze"),
                info=T("train.unfreeze_info"),
            )
            img_size = gr.Slider(
                16,
                320,
                value=PRETRAINED_IMG_SIZE,  # the default architecture's (`arch_defaults` sets it for others)
                step=4,
                label=T("train.img_size"),
                info=T("train.img_size_info"),
                elem_id="img-size",
            )
            ctx.augment.render()
            with gr.Accordion(T("train.more"), open=False):
                patience = gr.Number(
                    value=defaults.patience,
                    precision=0,
                    minimum=0,
                    label=T("train.patience"),
                    info=T("train.patience_info"),
                    elem_id="patience",
                )
                with gr.Row():
                    lr_head = gr.Number(value=defaults.lr_head, label=T("train.lr_head"), min_width=120)
                    lr_backbone = gr.Number(
                        value=backbone_rate(defaults.lr_head, True),
                        label=T("train.lr_backbone"),
                        info=T("train.lr_backbone_info"),
                        min_width=120,
                        elem_id="lr-backbone",
                    )
                finder = lr_finder.render()
                with gr.Row():
                    optimizer = gr.Dropdown(
                        list(OPTIMIZERS), value=defaults.optimizer, label=T("train.optimizer"), min_width=120
                    )
                    scheduler = gr.Dropdown(
                        list(SCHEDULERS), value=defaults.scheduler, label=T("train.scheduler"), min_width=120
                    )
                with gr.Row():
                    batch_size = gr.Slider(4, 256, value=defaults.batch_size, step=4, label=T("train.batch_size"))
                    seed = gr.Number(value=defaults.seed, precision=0, label=T("train.seed"), min_width=100)
        with gr.Column(scale=3, min_width=300):
            name = gr.Textbox(
                label=T("train.name"),
                placeholder=T("train.name_hint"),
                max_length=80,
                elem_id="run-name",
            )
            with gr.Row():
                start_btn = gr.Button(T("train.start"), variant="primary", elem_id="start-training")
                stop_btn = gr.Button(T("train.stop"), variant="stop", interactive=False, elem_id="stop-training")
            status = gr.HTML(elem_id="train-status")
            progress = gr.HTML(elem_id="train-progress")
            loss_plot, acc_plot = curve_plots()
            log = gr.Textbox(label=T("train.log"), lines=8, max_lines=8, interactive=False, elem_classes="cnn-log")

    watched, session = ctx.watched_run, ctx.session
    seen = gr.State(None)
    saved = ctx.saved_form
    timer = gr.Timer(POLL_S, active=False)
    fields = [
        ctx.arch,
        pretrained,
        freeze,
        unfreeze,
        epochs,
        img_size,
        ctx.augment,
        lr_head,
        lr_backbone,
        optimizer,
        scheduler,
        batch_size,
        seed,
        patience,
    ]
    form = [ctx.dataset, *fields, session]
    shown = [status, progress, loss_plot, acc_plot, log, timer, stop_btn, seen, ctx.runs_changed]
    poll = {
        "fn": partial(refresh, ctx.jobs),
        "inputs": [watched, seen, session],
        "outputs": shown,
        "show_progress": "hidden",
        **PRIVATE,
    }
    data_info = {
        "fn": user_errors(partial(describe_data, ctx.root)),
        "inputs": ctx.dataset,
        "outputs": data_line,
        **PRIVATE,
    }
    saved_fields = [*fields, name]

    ctx.demo.load(arch_choices, None, ctx.arch, **PRIVATE).then(restore_form, saved, saved_fields, **PRIVATE).then(
        on_arch, ctx.arch, [card, pretrained], **PRIVATE
    )
    ctx.demo.load(**data_info)
    gr.on(
        [c.change for c in saved_fields],
        save_form,
        saved_fields,
        saved,
        show_progress="hidden",
        trigger_mode=LATEST,
        **PRIVATE,
    )
    session.change(partial(reattach, ctx.jobs), session, [watched, timer, seen], **PRIVATE).then(**poll)
    ctx.runs_changed.change(**poll)  # e.g. a run resumed on the Runs tab: the timer wakes while it is active
    ctx.dataset.change(**data_info)
    ctx.arch.change(on_arch, ctx.arch, [card, pretrained], **PRIVATE)
    ctx.arch.input(arch_defaults, ctx.arch, [pretrained, freeze, img_size], **PRIVATE).then(
        backbone_rate, [lr_head, pretrained], lr_backbone, **PRIVATE
    )
    pretrained.input(lambda on: gr.Checkbox(value=on), pretrained, freeze, **PRIVATE)
    gr.on([lr_head.input, pretrained.input], backbone_rate, [lr_head, pretrained], lr_backbone, **PRIVATE)
    start_btn.click(
        user_errors(partial(start, ctx.jobs)),
        [name, *form],
        [watched, ctx.selected_run, ctx.runs_changed, timer, seen, name],
        **PRIVATE,
    ).success(**poll)
    stop_btn.click(user_errors(partial(stop_run, ctx.jobs)), [watched, session], [status, stop_btn], **PRIVATE)
    timer.tick(**poll, concurrency_limit=None)
    lr_finder.wire(ctx.jobs, settings, finder, form[:-1], lr_head, lr_backbone)
