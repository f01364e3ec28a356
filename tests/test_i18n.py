"""The UI's two languages: complete tables, every key the code uses exists, and how a request's language is found."""

from __future__ import annotations

import re
import shutil
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio.context import LocalContext

from cnnapp import messages
from cnnapp.data.ingest import ingest
from cnnapp.messages import msg
from cnnapp.runs import LOG, STATES, RunDir
from cnnapp.training import provenance
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.ui import TAB_TEXT, TABS, compare_tab, data_tab, run_panel, runs_tab
from cnnapp.ui.common import log_tail, progress_html, run_message, run_name, session_runs, user_errors
from cnnapp.ui.i18n import COOKIE, T, lang, pick, say
from cnnapp.ui.strings import MODULES, STRINGS

UI = Path(__file__).resolve().parents[1] / "cnnapp" / "ui"
PREFIXES = "|".join(module.__name__.rsplit(".", 1)[-1] for module in MODULES)
USED = re.compile(rf"""["']((?:{PREFIXES})\.[a-z_]*[a-z])["']""")  # a whole key in quotes, as T() and say() take it


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_english_and_spanish_have_the_same_keys_and_placeholders():
    en, es = STRINGS["en"], STRINGS["es"]
    assert en.keys() == es.keys()
    assert [k for k in en if not en[k].strip() or not es[k].strip()] == []
    assert [k for k in en if fields(en[k]) != fields(es[k])] == []


def test_each_module_keeps_to_its_prefix():
    for module in MODULES:
        prefix = module.__name__.rsplit(".", 1)[-1] + "."
        assert module.EN.keys() == module.ES.keys(), module.__name__
        assert [k for k in module.EN if not k.startswith(prefix)] == [], module.__name__


def test_every_key_the_code_names_exists():
    used = {key for path in UI.glob("*.py") for key in USED.findall(path.read_text())}
    assert len(used) > 100  # the pattern finds the calls
    assert sorted(used - STRINGS["en"].keys()) == []
    # keys the code builds from names
    built = {f"common.state_{s}" for s in (*STATES, "stopping", "unknown")}
    built |= {"runs.col_" + c.replace(" ", "_") for c in runs_tab.COLUMNS} | {d.key for d in TAB_TEXT.values()}
    assert sorted(built - STRINGS["en"].keys()) == [] and len(TAB_TEXT) == len(TABS)


def test_an_unknown_key_fails_when_the_app_is_built():
    with pytest.raises(KeyError):
        T("train.no_such_text")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR,fr;q=0.9,es;q=0.5,en;q=0.4", "es"),
        ("de;q=1.0, en;q=0.2, es;q=0.7", "es"),
        ("ES", "es"),
        ("fr-FR", None),
        ("es;q=abc,en", "en"),
        ("", None),
        (None, None),
    ],
)
def test_pick_reads_accept_language_by_preference(header, code):
    assert pick(header) == code


@contextmanager
def request(cookies: dict, headers: dict) -> Iterator[None]:
    """Code run as if serving a page's request with these cookies and headers."""
    token = LocalContext.request.set(SimpleNamespace(cookies=cookies, headers=headers))
    try:
        yield
    finally:
        LocalContext.request.reset(token)


SPANISH = {COOKIE: "es"}


def test_a_reworded_engine_message_is_still_said_in_spanish(workspace, monkeypatch):
    monkeypatch.setitem(messages.ENGLISH, "run.reading", "loading your pictures")
    monkeypatch.setitem(messages.ENGLISH, "stage.frozen", "backbone fixed")
    run = RunDir.create("lenet5", workspace)
    status = run.update_status(state="ingesting", message=msg("run.reading"))
    assert status["message"] == "loading your pictures", "the English text beside the code, for the CLI and logs"
    with request(SPANISH, {}):
        assert "leyendo el conjunto de datos" in run_panel.status_line(run, status, None)
        assert "leyendo el conjunto de datos" in progress_html(run, status)
    assert "loading your pictures" in run_panel.status_line(run, status, None)
    assert "loading your pictures" in progress_html(run, status)
    epoch = run.update_status(state="running", message=msg("run.epoch", epoch=2, epochs=5, stage=msg("stage.frozen")))
    with request(SPANISH, {}):
        assert run_message(epoch) == "época 2/5 (congelada)"
    assert run_message(epoch) == "epoch 2/5 (backbone fixed)"


def test_a_refusal_on_a_spanish_page_is_said_in_spanish(workspace):
    from cnnapp.jobs.worker import JobManager

    jobs = JobManager(workspace)
    with request(SPANISH, {}):
        with pytest.raises(gr.Error) as refused:
            user_errors(runs_tab.stop)(jobs, None)  # the Runs tab's Stop with no run picked
        assert (
            refused.value.message
            == "no hay ninguna ejecución seleccionada: primero haz clic en una ejecución de la tabla"
        )
        plan, _ = compare_tab.plan(None, "lenet5", 2, 0, 64, None, "none")  # the Compare tab before a dataset
        assert (
            plan == "⚠ no se eligió ningún conjunto de datos: elige uno en la pestaña 1 · Datos (el de ejemplo sirve)"
        )
    with pytest.raises(gr.Error) as refused:
        user_errors(runs_tab.stop)(jobs, None)
    assert refused.value.message == "no run selected: click a run in the table first"
    assert compare_tab.plan(None, "lenet5", 2, 0, 64, None, "none")[0].startswith("⚠ no dataset chosen: pick one")


def test_stop_on_a_spanish_page_says_what_it_did_and_a_finished_runs_state_in_spanish(workspace, monkeypatch):
    from cnnapp.jobs.admission import Request
    from cnnapp.jobs.worker import JobManager

    jobs = JobManager(workspace)
    done = RunDir.create("lenet5", workspace)
    done.update_status(state="completed")
    queued = RunDir.create("lenet5", workspace)
    queued.update_status(state="queued")
    jobs._queue.add(queued, [], Request("train", None))  # waiting for a slot (no process is started here)
    said: list[str] = []
    monkeypatch.setattr(runs_tab.gr, "Info", said.append)
    with request(SPANISH, {}):
        with pytest.raises(gr.Error) as refused:
            user_errors(runs_tab.stop)(jobs, done.id)
        assert refused.value.message == f"la ejecución {done.id} no se está ejecutando (su estado: completado)"
        runs_tab.stop(jobs, queued.id)
    assert said == ["Se canceló la ejecución en cola"] and queued.status()["state"] == "cancelled"
    with pytest.raises(gr.Error) as refused:
        user_errors(runs_tab.stop)(jobs, done.id)
    assert refused.value.message == f"run {done.id} is not running (it is completed)"


def test_a_message_without_a_code_is_shown_in_the_apps_words():
    old = {"message": "run with --epochs 3"}  # a run from before the codes
    with request(SPANISH, {}):
        assert run_message(old) == "run with the number of epochs 3"
    assert run_message({"message": "x", "message_code": msg("run.starting").to_dict()}) == "starting"
    assert run_message({}) == ""


def test_every_engine_code_has_spanish_words_with_its_fields():
    spanish = {key.removeprefix("engine."): text for key, text in STRINGS["es"].items() if key.startswith("engine.")}
    assert sorted(set(messages.ENGLISH) - set(spanish)) == []
    assert [code for code, text in messages.ENGLISH.items() if fields(text) != fields(spanish[code])] == []
    assert sum(spanish[code] != text for code, text in messages.ENGLISH.items()) > 0.8 * len(spanish)


def test_a_failed_runs_reason_and_its_log_line_come_out_in_spanish(workspace, tmp_path, capsys):
    from cnnapp.training.train import Training  # imports torch

    only = tmp_path / "only"
    for name in ("cat", "dog"):
        (only / name).mkdir(parents=True)
    shutil.copy(next(p for p in (UI.parents[1] / "assets").rglob("*.png")), only / "cat" / "a.png")
    (only / "dog" / "notes.txt").write_text("no picture")
    cfg = resolve(TrainConfig(data=str(only), arch="lenet5", epochs=1))
    run = RunDir.create("lenet5", workspace)
    status = Training(cfg, run, progress=False).execute()
    assert status["state"] == "failed"
    assert status["message"].startswith("only one class (cat) has images")  # the English, as before
    run.file(LOG).write_text(capsys.readouterr().err + "warning: something uncoded\n")  # the worker's redirect
    with request(SPANISH, {}):
        assert "solo una clase (cat) tiene imágenes" in run_panel.status_line(run, status, None)
        log = log_tail(run, 12).splitlines()
        assert (
            log[-2].startswith("error: solo una clase (cat) tiene imágenes") and log[-1] == "warning: something uncoded"
        )
    assert log_tail(run, 12) == run.log_tail(12), "in English the log reads as written"


def test_the_usual_log_lines_come_out_in_spanish(workspace):
    from cnnapp.training.progress import Progress, epoch_line  # imports torch

    run = RunDir.create("lenet5", workspace)
    lines = [
        epoch_line(1, 3, "frozen", (0.5, 0.75), (0.25, 0.875), 1.25, True),
        epoch_line(2, 3, "full", (0.5, 0.75), None, 2.0, False),
    ]
    for line in lines:
        Progress(run, 3).note(line)
    run.file(LOG).write_text(
        "".join(f"{line}\n" for line in [lines[0], "Traceback (most recent call last):", lines[1]])
    )
    assert (
        run.log_tail(3).splitlines()[0]
        == "epoch 1/3 [frozen] train loss 0.5000 acc 75.0% | val loss 0.2500 acc 87.5% | 1.2s *"
    )
    with request(SPANISH, {}):
        assert log_tail(run, 3).splitlines() == [
            "época 1/3 [congelada] pérdida de entrenamiento 0.5000 exactitud 75.0% | pérdida de validación 0.2500 "
            "exactitud 87.5% | 1.2s *",
            "Traceback (most recent call last):",
            "época 2/3 [toda la red] pérdida de entrenamiento 0.5000 exactitud 75.0% | 2.0s",
        ]
    assert run.last_event() is None, "log lines are no progress events"


def test_skip_reasons_come_out_in_spanish(tmp_path, small_dataset):
    (small_dataset / "bag" / "notes.txt").write_text("no picture")
    (small_dataset / "bag" / "README").write_text("no picture")
    (small_dataset / "bag" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    found = ingest(small_dataset)
    with request(SPANISH, {}):
        frame = data_tab._report(found.skipped, found.warnings)[2]
    reasons = dict(zip(frame["ruta"], frame["motivo"]))
    assert reasons["bag/notes.txt"] == "no es un archivo de imagen (.txt)"
    assert reasons["bag/README"] == "no es un archivo de imagen (sin extensión)"
    assert reasons["bag/broken.png"].startswith("no es una imagen válida")
    old = [{"path": "a.txt", "reason": "not an image file (.txt)"}]  # a report from before the codes
    with request(SPANISH, {}):
        assert list(data_tab._report(old, [])[2]["motivo"]) == ["not an image file (.txt)"]


def test_a_default_run_name_comes_out_in_spanish_and_a_typed_one_as_typed(workspace, small_dataset):
    run = RunDir.create("lenet5", workspace)
    run.update_status(state="queued", created=1.0)
    provenance.record(run, TrainConfig(data=str(small_dataset), arch="lenet5"))
    assert run.status()["name"] == "LeNet-5 · small · from scratch"
    with request(SPANISH, {}):
        assert session_runs(workspace, None)[0][0][0].startswith("LeNet-5 · small · desde cero · en cola")
        assert list(runs_tab.runs_frame(workspace)["name"]) == ["LeNet-5 · small · desde cero"]
    assert session_runs(workspace, None)[0][0][0].startswith("LeNet-5 · small · from scratch · queued")
    provenance.rename(run, "my frozen run")
    with request(SPANISH, {}):
        assert list(runs_tab.runs_frame(workspace)["name"]) == ["my frozen run"]
        assert run_name(run.status()) == "my frozen run"


def test_say_speaks_the_language_of_the_request_being_served():
    assert lang() == "en" and say("train.epochs") == "Epochs"  # outside a request: CLI, tests
    assert say("data.line", "es", name="x", classes=2, images=5) == "**Datos:** x: 2 clases, 5 imágenes."

    def served(cookies: dict, headers: dict) -> str:
        with request(cookies, headers):
            return say("train.epochs")

    assert served({}, {"accept-language": "es-ES,es;q=0.9"}) == "Épocas"
    assert served({COOKIE: "en"}, {"accept-language": "es-ES,es;q=0.9"}) == "Epochs"  # the switch wins
    assert served({COOKIE: "es"}, {"accept-language": "en-US"}) == "Épocas"
    assert served({COOKIE: "xx"}, {}) == "Epochs"
