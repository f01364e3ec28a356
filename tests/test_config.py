import pytest

from cnnapp.errors import CnnappError, ConfigError
from cnnapp.training.config import TrainConfig, resolve
from cnnapp.training.defaults import FIRST_PAGE, LR_HEAD, OFFLINE_ARCH, Defaults, defaults, recommended_size


def test_architecture_defaults_are_filled():
    lite = resolve(TrainConfig(data="d"))
    assert (
        lite.pretrained
        and lite.freeze
        and lite.img_size == 128  # the architecture's 224 px, capped for pretrained weights like the app's default
        and lite.lr_backbone == pytest.approx(lite.lr_head / 10)
    )
    lenet = resolve(TrainConfig(data="d", arch="lenet5"))
    assert not lenet.pretrained and not lenet.freeze and lenet.img_size == 28 and lenet.lr_backbone == lenet.lr_head
    scratch = resolve(TrainConfig(data="d", pretrained=False))  # from scratch: the smaller size, quick on a CPU
    assert not scratch.freeze and scratch.img_size == 96
    resnet = resolve(TrainConfig(data="d", arch="resnet18"))  # no ImageNet weights offline
    assert not resnet.pretrained and resnet.img_size == 96


def test_values_from_json_strings_are_coerced():
    cfg = resolve(
        TrainConfig.from_dict({"data": "d", "arch": "lenet5", "epochs": "3", "lr-head": "0.01", "freeze": "false"})
    )
    assert cfg.epochs == 3 and cfg.lr_head == 0.01 and cfg.freeze is False


@pytest.mark.parametrize(
    "values,message",
    [
        ({"lr_head": 0}, "lr_head"),
        ({"lr_backbone": float("nan")}, "lr_backbone"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.5}, "epochs must be int"),
        ({"epochs": True}, "epochs must be int"),  # a bool is not a number
        ({"lr_head": False}, "lr_head must be float"),
        ({"patience": -1}, "patience must be 0"),
        ({"batch_size": 0}, "batch_size"),
        ({"val_split": 1.0}, "val_split"),
        ({"optimizer": "lion"}, "unknown optimizer"),
        ({"scheduler": "step"}, "unknown scheduler"),
        ({"arch": "lenet5", "pretrained": True}, "no pretrained weights"),
        ({"arch": "lenet5", "unfreeze_epochs": 2}, "needs a frozen first stage"),
        ({"data": ""}, "no dataset"),
        ({"pretrained": "maybe"}, "pretrained must be bool"),
    ],
)
def test_bad_settings_are_refused_before_any_work(values, message):
    with pytest.raises(ConfigError, match=message):
        resolve(TrainConfig.from_dict({"data": "d", **values}))


def test_unknown_option_is_an_error():
    with pytest.raises(ConfigError, match="unknown option 'colour'"):
        TrainConfig.from_dict({"colour": "red"})


def test_one_owner_decides_the_defaults_and_the_first_page_agrees():
    lite = defaults(OFFLINE_ARCH)
    assert lite == FIRST_PAGE, "the first page shows the default architecture's defaults without asking the registry"
    assert (lite.pretrained, lite.freeze, lite.img_size) == (True, True, 128)
    assert lite.lr_backbone == pytest.approx(lite.lr_head / 10) and lite.lr_head == TrainConfig().lr_head
    assert defaults("lenet5") == Defaults(False, False, 28, LR_HEAD, LR_HEAD)
    assert defaults("resnet18").pretrained is False, "no ImageNet weights here: the default is what can work"
    from_file = defaults("resnet18", weights="w.safetensors", lr_head=0.02)
    assert (from_file.pretrained, from_file.freeze, from_file.img_size) == (False, True, 96)
    assert from_file.lr_backbone == pytest.approx(0.002), "a weights file starts from weights too"
    assert recommended_size(OFFLINE_ARCH, pretrained=False) == defaults(OFFLINE_ARCH, False).img_size == 96
    for cfg in (TrainConfig(data="d"), TrainConfig(data="d", arch="lenet5", lr_head=0.05)):
        done = resolve(cfg)
        start = defaults(cfg.arch, lr_head=cfg.lr_head)
        assert (done.pretrained, done.freeze, done.img_size, done.lr_backbone) == (
            start.pretrained,
            start.freeze,
            start.img_size,
            start.lr_backbone,
        )


def test_a_missing_number_is_refused_in_words():
    with pytest.raises(ConfigError, match="lr_head must be float \\(a number\\), got None"):
        resolve(TrainConfig.from_dict({"data": "d", "lr_head": None}))
    assert resolve(TrainConfig.from_dict({"data": "d", "img_size": None})).img_size == 128, "None: the default"


@pytest.mark.slow
def test_a_queued_run_trains_on_its_stored_config_as_is(small_dataset, workspace, monkeypatch):
    from cnnapp.data import transforms
    from cnnapp.errors import RunError
    from cnnapp.runs import RunDir
    from cnnapp.training import learner, train

    cfg = resolve(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=1, batch_size=8, augment="light"))
    run = RunDir.create("lenet5", workspace)
    cfg.save(run.file("config.json"))
    run.update_status(state="queued")
    stored, written = run.file("config.json").read_bytes(), run.file("config.json").stat().st_mtime_ns
    monkeypatch.setattr(train, "resolve", lambda cfg: pytest.fail("the trainer resolved a stored config again"))
    parsed = []
    parse = transforms.parse_augment
    for module in (transforms, learner):
        monkeypatch.setattr(module, "parse_augment", lambda spec: parsed.append(spec) or parse(spec))
    _, status = train.train_queued(run.path, progress=False)
    assert status["state"] == "completed", status
    assert run.file("config.json").read_bytes() == stored and run.file("config.json").stat().st_mtime_ns == written
    assert parsed == ["light"], "the augmentation is parsed once, every loader's pipeline built from that"
    with pytest.raises(RunError, match="holds no queued run"):
        train.train_queued(RunDir.create("lenet5", workspace).path, progress=False)


@pytest.mark.parametrize(
    ("values", "spanish"),
    [
        ({"epochs": 0}, "Épocas: debe ser al menos 1; se indicó 0"),
        ({"lr_head": 1000}, "Tasa de aprendizaje (cabeza): debe ser un número positivo no mayor que 1; se indicó 1000"),
        ({"img_size": 5000}, "Tamaño de imagen: 5000 supera el límite de este servidor, 512 (fijado por CNNAPP_MAX"),
        ({"arch": "lenet5", "img_size": 8}, "un tamaño de imagen de 8 px es demasiado pequeño para lenet5"),
    ],
)
def test_a_refused_setting_is_said_in_the_pages_language(values, spanish):
    """A setting refused before anything is queued is a message code: a Spanish page says it in Spanish."""
    from cnnapp.messages import render
    from cnnapp.ui.common import ENGINE

    with pytest.raises(CnnappError) as refused:
        resolve(TrainConfig(data="somewhere", **values))
    assert render(refused.value.message, ENGINE["es"]).startswith(spanish)


def test_a_form_field_brings_a_value_into_its_range_instead_of_refusing_it_in_english():
    """gradio refused an out-of-range slider value with "Value 0 is less than minimum value 1." whatever the page's
    language; the form's fields give a handler the nearest value allowed (and say so, see test_browser_truth)."""
    import gradio as gr

    from cnnapp.ui.widgets import bounded_number, bounded_slider

    with gr.Blocks():
        epochs = bounded_slider(1, 50, value=5, step=1, label_key="train.epochs")
        rate = bounded_number(0.01, 1e-7, 1.0, label_key="train.lr_head")
    assert (epochs.preprocess(0), epochs.preprocess(5000), epochs.preprocess(7)) == (1, 50, 7)
    assert (rate.preprocess(1000), rate.preprocess(-1), rate.preprocess(None), rate.preprocess(0.5)) == (
        1.0,
        1e-7,
        None,
        0.5,
    )
