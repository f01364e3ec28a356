"""Train tab: the form (settings, the run's name) and Start; the followed run is `run_panel`'s, the learning-rate
finder `lr_finder`'s. Handlers get the form as one dict by field name (`by_name`): no field can shift. The defaults
that follow from the architecture and from starting from weights are `training.defaults`'s.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import gradio as gr

from cnnapp.errors import CnnappError, DataError
from cnnapp.jobs.worker import JobManager
from cnnapp.training.config import BALANCES, LR_MAX, LR_MIN, OPTIMIZERS, RECIPES, SCHEDULERS, SEED_MAX, TrainConfig
from cnnapp.training.defaults import FIRST_PAGE, OFFLINE_ARCH, defaults
from cnnapp.ui import lr_finder, run_panel
from cnnapp.ui.common import KEEP_LAST, PRIVATE, engine_text, plain, run_name, user_errors
from cnnapp.ui.context import UIContext
from cnnapp.ui.dataset_state import describe
from cnnapp.ui.i18n import DEFAULT, STRINGS, T, say
from cnnapp.ui.widgets import bounded_number, bounded_slider

TITLE = "2 · Train"
FOLLOWING = ("pretrained", "freeze", "img_size", "lr_head", "lr_backbone")  # the fields the defaults set


def arch_card(name: str) -> str:
    """Facts about an architecture, from the registry."""
    from cnnapp.models.registry import count_params, get_spec

    spec = get_spec(name)
    weights = "offline" if spec.pretrained_offline else "online" if spec.pretrained_online else "none"
    year = f" · {spec.year}" if spec.year else ""
    described = say(f"arch.{spec.name}") if f"arch.{spec.name}" in STRINGS[DEFAULT] else spec.description
    return f"**{spec.family}{year}** · {html.escape(described, quote=False)}  \n" + say(
        "train.card",
        params=f"{count_params(spec.name) / 1e6:.1f}",
        input=spec.input_size,
        min=spec.min_input_size,
        weights=say(f"train.weights_{weights}"),
    )


def pretrained_box(name: str) -> gr.Checkbox:
    """The pretrained box for an architecture: disabled and unticked, with the reason, when no weights can be loaded."""
    from cnnapp.models.registry import display_name, pretrained_problem

    try:
        problem = pretrained_problem(name)
    except CnnappError:
        return gr.Checkbox()
    if problem:
        reason = say("train.no_weights", problem=engine_text(problem), arch=display_name(OFFLINE_ARCH))
        return gr.Checkbox(value=False, interactive=False, info=reason)
    return gr.Checkbox(interactive=True, info=None)


def on_arch(name: str) -> tuple:
    """Card and what the architecture allows, whenever it changes (also when a saved form is restored)."""
    try:
        card = arch_card(name)
    except CnnappError as exc:
        return f"⚠ {html.escape(plain(str(exc)), quote=False)}", gr.skip()
    return card, pretrained_box(name)


def arch_defaults(name: str, lr_head: float | None) -> tuple:
    """The defaults of another architecture the user picks (`defaults.defaults`): its ImageNet weights if it has
    them here, frozen then, a small size and the backbone rate that goes with them."""
    from cnnapp.models.registry import get_spec  # imports torch: not on the first page

    try:
        start, minimum = defaults(name), get_spec(name).min_input_size
    except CnnappError:
        return (gr.skip(),) * 4
    size = gr.Slider(value=start.img_size, minimum=minimum)
    rate = backbone_rate(name, lr_head, start.pretrained)
    return gr.Checkbox(value=start.pretrained), gr.Checkbox(value=start.freeze), size, rate


def on_pretrained(name: str, pretrained: bool, lr_head: float | None) -> tuple:
    """Ticking pretrained changes what follows from starting from weights: freezing and the backbone rate."""
    try:
        start = defaults(name, pretrained)
    except CnnappError:
        return gr.skip(), gr.skip()
    return gr.Checkbox(value=start.freeze), backbone_rate(name, lr_head, pretrained)


def backbone_rate(name: str, lr_head: float | None, pretrained: bool) -> float | None:
    """The backbone rate the form shows by default (`defaults.defaults`) to three figures; blank for a blank head."""
    if not lr_head:
        return None
    try:
        return _figures(defaults(name, pretrained, lr_head=lr_head).lr_backbone)
    except CnnappError:
        return gr.skip()


def _figures(rate: float) -> float:
    return float(f"{rate:.3g}")


def arch_choices() -> gr.Dropdown:
    """The registry's architectures (loaded after the page is shown: importing torch takes seconds)."""
    from cnnapp.models.registry import names

    return gr.Dropdown(choices=names())


AS_GIVEN = (
    "arch",
    "epochs",
    "img_size",
    "lr_head",
    "optimizer",
    "scheduler",
    "batch_size",
    "seed",
    "patience",
    "recipe",
)
AS_GIVEN += ("balance",)
ALWAYS_SENT = ("pretrained", "freeze", "unfreeze_epochs")  # a checkbox or a slider: never blank
REGULARISERS = ("mixup", "cutmix", "ema_decay")  # timm's, under More settings: 0 is off
REGULARISER_MAX = {"mixup": 10.0, "cutmix": 10.0, "ema_decay": 0.9999}  # the most the form takes
RECIPE_SHOWN = ("arch", "epochs", "img_size", "augment", "lr_head", "optimizer", "scheduler", "batch_size")
RECIPE_FOLLOWING = ("pretrained", "freeze", "lr_backbone")  # what the recipe's architecture decides (`defaults`)


def recipe_form(name: str) -> tuple:
    """The form's fields a recipe sets (`RECIPE_SHOWN`, then `RECIPE_FOLLOWING`), so that the form shows what will
    run; the options the form does not show (label smoothing, weight decay) come from the recipe when the run's
    config is resolved."""
    values = RECIPES.get(name, {})
    shown = tuple(values[field] if field in values else gr.skip() for field in RECIPE_SHOWN)
    if "arch" not in values:
        return shown + (gr.skip(),) * len(RECIPE_FOLLOWING)
    start = defaults(values["arch"], lr_head=values.get("lr_head", FIRST_PAGE.lr_head))
    return shown + (start.pretrained, start.freeze, _figures(start.lr_backbone))


def settings(form: dict[str, Any]) -> dict[str, Any]:
    """The form (field name → value) as CLI option values (blank number boxes keep their defaults). A field a page
    always sends (a box to tick, a slider) arriving empty is no request of a page: refused in one
    line (`common.BAD_INPUT`) before anything runs on the defaults."""
    dataset = form.get("dataset")
    if not dataset:
        raise DataError(say("train.no_dataset"))
    if any(form.get(name) is None for name in ALWAYS_SENT):
        raise ValueError(f"a field a page always sends is missing: {[n for n in ALWAYS_SENT if form.get(n) is None]}")
    frozen = bool(form["freeze"] and form["pretrained"])
    values = {name: form.get(name) for name in AS_GIVEN + REGULARISERS}
    values.update(
        data=dataset["path"],
        pretrained=form["pretrained"],
        freeze=frozen,
        unfreeze_epochs=form["unfreeze_epochs"] if frozen else 0,
        augment=form["augment"] or "none",
        lr_backbone=form["lr_backbone"] or None,
    )
    return {k: v for k, v in values.items() if v is not None}


def by_name(fn: Callable[..., Any], names: Sequence[str]) -> Callable[..., Any]:
    """`fn(form, *rest)` as a gradio handler, which gets its inputs in order: the first `len(names)` become one
    dict, field name → value, so that no field can shift."""

    def handler(*values: Any) -> Any:
        return fn(dict(zip(names, values)), *values[len(names) :])

    return handler


def start(jobs: JobManager, form: dict[str, Any], session: str | None = None) -> tuple:
    """Queue a training of the form (its fields and the run's name) for `session`, followed from then on; while
    another run is active it waits in the queue, and the message says its place."""
    dataset = form.get("dataset")
    run = jobs.submit({**settings(form), "name": form.get("name")}, session, dataset_name=(dataset or {}).get("name"))
    place = jobs.position(run.id)
    name = run_name(run.status())
    gr.Info(say("train.queued", name=name, place=place) if place else say("train.starting", name=name))
    return run.id, run.id, time.time(), gr.Timer(active=True), None, ""  # the name was this run's: the box empties


def restore_form(names: Sequence[str], saved: dict | None) -> tuple:
    """The saved form's values of the fields `names` (a field without a saved value keeps what it shows)."""
    saved = saved if isinstance(saved, dict) else {}
    return tuple(saved[name] if name in saved else gr.skip() for name in names)


def build(ctx: UIContext) -> None:
    """The Train tab: the form (left), the run's name, Start and the followed run (`run_panel`, right)."""
    given = TrainConfig()
    form: dict[str, Any] = {"dataset": ctx.dataset}  # field name → component: handlers get one dict (`by_name`)
    data_line = gr.Markdown(elem_id="train-data")
    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            form["recipe"] = gr.Dropdown(
                [(T(f"train.recipe_{k}"), k) for k in RECIPES],
                value=given.recipe,
                label=T("train.recipe"),
                info=T("train.recipe_info"),
            )
            form["arch"] = ctx.arch.render()
            card = gr.Markdown()
            with gr.Row():
                form["pretrained"] = gr.Checkbox(
                    value=FIRST_PAGE.pretrained, label=T("train.pretrained"), min_width=140, elem_id="pretrained"
                )
                form["freeze"] = gr.Checkbox(value=FIRST_PAGE.freeze, label=T("train.freeze"), min_width=140)
            form["epochs"] = bounded_slider(
                1, 50, value=given.epochs, step=1, label_key="train.epochs", elem_id="epochs"
            )
            form["unfreeze_epochs"] = bounded_slider(
                0, 20, value=0, step=1, label_key="train.unfreeze", info=T("train.unfreeze_info")
            )
            form["img_size"] = bounded_slider(
                16,
                320,
                value=FIRST_PAGE.img_size,  # the default architecture's (`arch_defaults` sets it for others)
                step=4,
                label_key="train.img_size",
                info=T("train.img_size_info"),
                elem_id="img-size",
            )
            form["augment"] = ctx.augment.render()
            with gr.Accordion(T("train.more"), open=False):
                form["patience"] = bounded_number(
                    given.patience,
                    0,
                    50,
                    precision=0,
                    label_key="train.patience",
                    info=T("train.patience_info"),
                    elem_id="patience",
                )
                with gr.Row():
                    form["lr_head"] = bounded_number(
                        FIRST_PAGE.lr_head, LR_MIN, LR_MAX, label_key="train.lr_head", min_width=120
                    )
                    form["lr_backbone"] = bounded_number(
                        _figures(FIRST_PAGE.lr_backbone),
                        LR_MIN,
                        LR_MAX,
                        label_key="train.lr_backbone",
                        info=T("train.lr_backbone_info"),
                        min_width=120,
                        elem_id="lr-backbone",
                    )
                finder = lr_finder.render()
                with gr.Row():
                    form["optimizer"] = gr.Dropdown(
                        list(OPTIMIZERS), value=given.optimizer, label=T("train.optimizer"), min_width=120
                    )
                    form["scheduler"] = gr.Dropdown(
                        list(SCHEDULERS), value=given.scheduler, label=T("train.scheduler"), min_width=120
                    )
                form["balance"] = gr.Dropdown(
                    [(T(f"train.balance_{k}"), k) for k in BALANCES],
                    value=given.balance,
                    label=T("train.balance"),
                    info=T("train.balance_info"),
                )
                with gr.Row():
                    form["batch_size"] = bounded_slider(
                        4, 256, value=given.batch_size, step=4, label_key="train.batch_size"
                    )
                    form["seed"] = bounded_number(
                        given.seed, 0, SEED_MAX, precision=0, label_key="train.seed", min_width=100
                    )
                with gr.Row():
                    for name in REGULARISERS:
                        form[name] = bounded_number(
                            getattr(given, name),
                            0,
                            REGULARISER_MAX[name],
                            label_key=f"train.{name}",
                            info=T(f"train.{name}_info"),
                            min_width=120,
                            elem_id=f"train-{name.replace('_', '-')}",
                        )
        with gr.Column(scale=3, min_width=300):
            form["name"] = gr.Textbox(
                label=T("train.name"), placeholder=T("train.name_hint"), max_length=80, elem_id="run-name"
            )
            with gr.Row():
                start_btn = gr.Button(T("train.start"), variant="primary", elem_id="start-training")
                stop_btn = gr.Button(T("train.stop"), variant="stop", interactive=False, elem_id="stop-training")
            panel = run_panel.build(ctx, stop_btn)

    names = list(form)
    saved = [n for n in names if n != "dataset"]  # the dataset is saved apart (`ctx.saved_dataset`)
    saved_fields = [form[n] for n in saved]
    pretrained, freeze, img_size, lr_head, lr_backbone = (form[k] for k in FOLLOWING)
    arch_card = user_errors(on_arch)
    ctx.demo.load(arch_choices, None, ctx.arch, **PRIVATE).then(
        user_errors(partial(restore_form, saved)), ctx.saved_form, saved_fields, **PRIVATE
    ).then(arch_card, ctx.arch, [card, pretrained], **PRIVATE)
    described = user_errors(lambda dataset: describe(dataset, ctx.root))
    gr.on([ctx.demo.load, ctx.dataset.change], described, ctx.dataset, data_line, **KEEP_LAST)
    save = user_errors(by_name(dict, saved))  # the form as saved in the browser: field name → value
    gr.on([c.change for c in saved_fields], save, saved_fields, ctx.saved_form, show_progress="hidden", **KEEP_LAST)
    ctx.arch.change(arch_card, ctx.arch, [card, pretrained], **PRIVATE)
    following = [pretrained, freeze, img_size, lr_backbone]
    ctx.arch.input(user_errors(arch_defaults), [ctx.arch, lr_head], following, **KEEP_LAST)
    pretrained.input(
        user_errors(on_pretrained),
        [ctx.arch, pretrained, lr_head],
        [freeze, lr_backbone],
        **KEEP_LAST,
    )
    lr_head.input(user_errors(backbone_rate), [ctx.arch, lr_head, pretrained], lr_backbone, **KEEP_LAST)
    recipe_fields = [form[f] for f in RECIPE_SHOWN + RECIPE_FOLLOWING]
    form["recipe"].input(user_errors(recipe_form), form["recipe"], recipe_fields, **KEEP_LAST)
    start_btn.click(
        user_errors(by_name(partial(start, ctx.jobs), names)),
        [*form.values(), ctx.session],
        [ctx.watched_run, ctx.selected_run, ctx.runs_changed, panel.timer, panel.seen, form["name"]],
        **PRIVATE,
    ).success(**panel.poll)
    lr_finder.wire(ctx.jobs, by_name(settings, names), finder, list(form.values()), lr_head, lr_backbone)
