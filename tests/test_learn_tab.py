"""The Learn tab's new sections: its text in both languages, handlers, and the queue of seven optimizer runs."""

from __future__ import annotations

import gradio as gr
import pandas as pd
import pytest
from matplotlib.figure import Figure

from cnnapp.course import optimizer_race
from cnnapp.runs import RunDir
from cnnapp.training.config import OPTIMIZERS, TrainConfig
from cnnapp.ui import learn
from cnnapp.ui.common import EXAMPLE_DATASET, user_errors
from cnnapp.ui.i18n import say
from cnnapp.ui.learn import layers, losses, optimizers
from cnnapp.ui.learn.names import NAMES
from cnnapp.ui.strings import STRINGS
from tests.test_i18n_tabs import speaking


def keys(table: dict, prefix: str = "") -> set[str]:
    """Every key of a nested dict, dotted."""
    out = set()
    for k, v in table.items():
        out.add(prefix + k)
        if isinstance(v, dict):
            out |= keys(v, f"{prefix}{k}.")
    return out


def test_english_and_spanish_tables_have_the_same_keys_and_the_course_terms():
    assert keys(NAMES["en"]) == keys(NAMES["es"])
    es = {k: v for k, v in STRINGS["es"].items() if k.startswith("learn.")}
    assert all(str(v).strip() for v in es.values()) and len(es) > 100
    spanish = " ".join([*es.values(), str(NAMES["es"])]).lower()
    for term in ("convolución", "relleno", "paso", "agrupación", "mapa de características", "función de pérdida",
                 "coste", "optimizador", "tasa de aprendizaje", "aplanar", "época", "max-pool"):  # fmt: skip
        assert term in spanish, term
    assert tuple(optimizer_race.PRESETS) == optimizers.PRESETS
    assert learn.TITLE == "Learn" and es["learn.title"] == "Aprender"


def test_the_tab_builds_with_text_the_browser_translates(tmp_path):
    from cnnapp.jobs.worker import JobManager
    from cnnapp.ui.context import UIContext

    with gr.Blocks() as demo:
        ctx = UIContext(
            demo=demo,
            root=tmp_path,
            jobs=JobManager(tmp_path),
            session=gr.BrowserState(),
            dataset=gr.State(),
            saved_dataset=gr.BrowserState(),
            saved_form=gr.BrowserState(),
            selected_run=gr.State(),
            watched_run=gr.State(),
            runs_changed=gr.State(),
            arch=gr.Dropdown(render=False),
            augment=gr.Dropdown(render=False),
        )
        learn.build(ctx)
    labels = {getattr(getattr(b, "label", None), "key", None) for b in demo.blocks.values()}
    expected = {"tab_loss", "tab_optim", "run_lr", "temperature", "dropout_p", "lrs", "padding", "stride"}
    assert {f"learn.{k}" for k in expected} <= labels
    values = " ".join(str(getattr(b, "value", "")) for b in demo.blocks.values())  # I18nData as gradio sends it
    assert all(f'"key": "learn.{k}"' in values for k in ("queue", "race_text", "conv_text"))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_layer_and_loss_handlers(lang):
    with speaking(lang):
        assert isinstance(layers.flatten_view(2, 3, 3), Figure)
        figure, text = layers.softmax_view("2, 1, 0.1", 1)
        assert isinstance(figure, Figure) and "1.0000" in text and "65.9%" in text.replace(",", ".")
        assert text.startswith(say("learn.softmax_sum", lang).split(" =")[0])
        figure, text = layers.dropout_view(0.5, 0)
        assert isinstance(figure, Figure) and "576" in text and "2" in text
        assert len(losses.loss_view(1, 0.7).axes) == 4
        table = losses.batch_view(losses.batch_start())
        assert len(table) == 5 and table.iloc[-1, 0] == say("learn.cost_row", lang)
        mse = table[NAMES[lang]["loss_names"]["mse"]]
        assert mse.tolist() == pytest.approx([0.01, 0.04, 0.36, 0.49, 0.225], abs=1e-4)
        with pytest.raises(gr.Error, match={"en": "between 0 and 1", "es": "entre 0 y 1"}[lang]):
            user_errors(losses.batch_view)(pd.DataFrame([[1, 1.5]], columns=["y", "ŷ"]))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_race_handler(lang):
    with speaking(lang):
        dropdown, x, y, lrs = optimizers.surface_defaults("Beale")
        assert ("silla" if lang == "es" else "saddle", "saddle") in dropdown.choices
        assert (x, y) == optimizer_race.SURFACES["Beale"].start and len(lrs) == 8
        lrs.iloc[0, 1] = 0.002
        figure, table = optimizers.race_view("Beale", x, y, 20, lrs)
        assert isinstance(figure, Figure) and len(table) == 8 and say("learn.diverged", lang) in table.columns
        assert table[say("learn.optimizer", lang)].iloc[1] == NAMES[lang]["runner_names"]["SGD + momentum"]
        with pytest.raises(gr.Error, match={"en": "one row per optimizer", "es": "una fila por optimizador"}[lang]):
            user_errors(optimizers.race_view)("Beale", x, y, 20, lrs.iloc[:3])


class FakeJobs:
    """Records what would be queued, as `JobManager.submit` receives it."""

    def __init__(self, root):
        self.root, self.submitted = root, []

    def submit(self, cfg: TrainConfig, session: str | None = None) -> RunDir:
        self.submitted.append((cfg.to_dict(), session))  # resolved by the race: the job manager queues it as it is
        run = RunDir.create(cfg.arch, self.root)
        cfg.save(run.file("config.json"))
        run.update_status(state="queued", epoch=0)
        return run

    def submit_all(self, configs: list[TrainConfig], session: str | None = None, kind: str = "start", **_) -> list:
        assert kind == "race", "the race is one request"
        return [self.submit(cfg, session) for cfg in configs]


def test_queue_submits_seven_configs_differing_only_in_optimizer(workspace):
    jobs = FakeJobs(workspace)
    ids, timer, _ = optimizers.queue_runs(jobs, "lenet5", 2, 0.01, "s1")
    assert len(ids) == len(jobs.submitted) == 7 and timer.active
    assert [v["optimizer"] for v, _ in jobs.submitted] == list(OPTIMIZERS)
    assert {s for _, s in jobs.submitted} == {"s1"}
    rest = [{k: v for k, v in values.items() if k != "optimizer"} for values, _ in jobs.submitted]
    assert all(r == rest[0] for r in rest)
    assert rest[0]["data"] == str(EXAMPLE_DATASET) and rest[0]["epochs"] == 2 and rest[0]["lr_head"] == 0.01
    assert rest[0]["arch"] == "lenet5" and rest[0]["scheduler"] == "none"
    frozen = FakeJobs(workspace)
    optimizers.queue_runs(frozen, "efficientnet_frozen", 1, None)
    assert all(v["freeze"] and v["arch"] == "tf_efficientnet_lite0" for v, _ in frozen.submitted)


def test_show_runs_before_and_while_they_train(workspace):
    empty, table, figure, timer = optimizers.show_runs(workspace, [], None)
    assert empty == say("learn.no_runs") and table.empty and figure is None and not timer.active
    ids, _, _ = optimizers.queue_runs(FakeJobs(workspace), "lenet5", 1, 0.01)
    with speaking("es"):
        empty, table, figure, timer = optimizers.show_runs(workspace, ids, None)
    assert empty == "" and len(table) == 7 and isinstance(figure, Figure)
    assert table["optimizador"].tolist() == [optimizer_race.NAMES[o] for o in OPTIMIZERS]
    assert set(table["estado"]) == {"en cola"} and timer.active  # the timer polls until they end


class FullQueue(FakeJobs):
    """A session that already has its `CNNAPP_MAX_QUEUED_PER_SESSION` requests waiting: every request is refused."""

    def submit_all(self, *_, **__) -> list:
        from cnnapp.jobs import admission

        admission.check(admission.Request("race", "s1"), [admission.Request("grid", "s1") for _ in range(2)], self.root)
        raise AssertionError("admitted")


@pytest.mark.parametrize(("code", "words"), [("en", "you already have 2 request(s) waiting"), ("es", "ya tienes 2")])
def test_a_refused_race_or_grid_is_a_warning_in_the_pages_language_not_an_error_badge(
    workspace, monkeypatch, code, words
):
    from cnnapp.ui import compare_tab

    warnings = []
    monkeypatch.setattr(gr, "Warning", warnings.append)
    jobs = FullQueue(workspace)
    with speaking(code):
        race = optimizers.queue_runs(jobs, "lenet5", 1, 0.01, "s1")  # raised, gradio would badge the outputs
        grid = compare_tab.queue(
            jobs, "s1", {"path": str(EXAMPLE_DATASET), "name": "x"}, "lenet5", 1, 0, 32, 0.01, "none"
        )
    assert race == grid == (gr.skip(),) * 3  # the outputs (the runs shown, the picker) stay as they were
    assert len(warnings) == 2 and all(words in w and "CNNAPP_MAX_QUEUED_PER_SESSION" in w for w in warnings), warnings
    assert list(workspace.glob("runs/*")) == []
