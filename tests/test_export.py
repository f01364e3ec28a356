"""Export: ONNX checked with onnxruntime, the model folder loaded by timm and by cnnapp, the Hub push errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn

from cnnapp import cli
from cnnapp.data.transforms import BatchPrep, prepare_arrays
from cnnapp.errors import ExportError, RunError
from cnnapp.runs import RunDir
from cnnapp.serving.export import export_run, hub, load_exported  # the path the model cards give
from cnnapp.serving.export.folder import export_folder, zip_export
from cnnapp.serving.export.hub import check_push, push_to_hub
from cnnapp.serving.export.onnx import FixedAdaptiveAvgPool2d, export_onnx, fix_adaptive_pools, read_onnx_metadata
from cnnapp.serving.export.run_model import RunModel, load_run_model
from cnnapp.serving.inference import Predictor, to_square_array
from cnnapp.training.config import TrainConfig
from cnnapp.training.train import train

DEMO = Path(__file__).resolve().parent.parent / "assets" / "fashion-mnist-mini"
CLASSES = ("bag", "sandal", "trouser")

# (arch, img_size, pretrained): LeNet-5 at 32 px and AlexNet at 64 px need the adaptive-pool rewrite.
# LeNet-5 trains in about a second; the others are `slow`.
ARCHS = [
    ("lenet5", 28, False),
    ("lenet5", 32, False),
    *(
        pytest.param(arch, marks=pytest.mark.slow, id=f"{arch[0]}-{arch[1]}")
        for arch in (
            ("resnet18", 32, False),
            ("tf_efficientnet_lite0", 32, True),
            ("googlenet", 32, False),
            ("alexnet", 64, False),
        )
    ),
]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("data") / "three"
    for name in CLASSES:
        (out / name).mkdir(parents=True)
        for f in sorted((DEMO / name).iterdir())[:12]:
            shutil.copy(f, out / name / f.name)
    return out


@pytest.fixture(scope="module", params=ARCHS, ids=lambda p: f"{p[0]}-{p[1]}")
def trained(request: pytest.FixtureRequest, tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    """A real one-epoch run of each architecture (trained once per module)."""
    arch, size, pretrained = request.param
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNAPP_HOME", str(home))
        cfg = TrainConfig(data=str(tiny_data), arch=arch, epochs=1, img_size=size, batch_size=16, pretrained=pretrained)
        run, status = train(cfg, home / "runs" / f"{arch}-{size}", progress=False)
    assert status["state"] == "completed", status
    return run


def real_images(photos: dict[str, Path]) -> list[Path]:
    """Two images of every demo class (10 classes, 28 px greyscale) and the two scikit-image photos."""
    demo = [f for d in sorted(DEMO.iterdir()) for f in sorted(d.iterdir())[:2]]
    return demo + [photos["chelsea"], photos["coffee"]]


def prepared_batch(rm: RunModel, images: list[Path]) -> torch.Tensor:
    """Images prepared exactly as cnnapp's predictor prepares them (NCHW, normalised)."""
    arrays = [to_square_array(p, rm.img_size) for p in images]
    return prepare_arrays(
        arrays, BatchPrep(rm.spec.mean, rm.spec.std, torch.device("cpu"), channels_last=False)
    ).contiguous()


def test_onnx_matches_pytorch_on_real_images(trained: RunDir, photos, tmp_path):
    path = export_onnx(trained, tmp_path / "onnx")
    assert path == tmp_path / "onnx" / "model.onnx" and path.is_file()
    rm = load_run_model(trained)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, out.name) == ("input", "probabilities")
    assert inp.shape == ["batch", 3, rm.img_size, rm.img_size] and out.shape == ["batch", len(CLASSES)]

    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["labels"]) == list(CLASSES) and meta["arch"] == rm.spec.name
    assert int(meta["img_size"]) == rm.img_size and json.loads(meta["mean"]) == pytest.approx(list(rm.spec.mean))
    assert json.loads(meta["std"]) == pytest.approx(list(rm.spec.std)) and "softmax" in meta["output"]
    assert read_onnx_metadata(path)["run_id"] == trained.id

    images = real_images(photos)
    probs = session.run(None, {"input": prepared_batch(rm, images).numpy()})[0]  # a batch of 22: the axis is dynamic
    single = session.run(None, {"input": prepared_batch(rm, images[:1]).numpy()})[0]
    assert probs.shape == (len(images), len(CLASSES)) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert np.allclose(single[0], probs[0], atol=1e-5)

    # PyTorch through cnnapp's own predictor (fp32, the same preprocessing from the image files)
    predictor = Predictor(load_run_model(trained).model, rm.spec, rm.classes, rm.img_size, "ref", precision="fp32")
    top = predictor.predict(images, top_k=len(CLASSES))
    ref = np.array([[dict(t)[c] for c in CLASSES] for t in top])
    assert [t[0][0] for t in top] == [CLASSES[i] for i in probs.argmax(1)]
    diff = float(np.abs(probs - ref).max())
    print(f"{rm.spec.name}@{rm.img_size}: max |p_onnx - p_torch| = {diff:.2e}")
    assert diff < 1e-3


def test_model_folder_loads_to_the_same_predictions(trained: RunDir, tiny_data, photos, tmp_path):
    folder = export_folder(trained, tmp_path / "folder")
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    rm = load_run_model(trained)
    x = prepared_batch(rm, real_images(photos))
    with torch.no_grad():
        ref = rm.model(x)

    config = json.loads((folder / "config.json").read_text())
    assert (
        config["architecture"] == rm.spec.name and config["num_classes"] == 3 and config["label_names"] == list(CLASSES)
    )
    pc = config["pretrained_cfg"]
    assert pc["input_size"] == [3, rm.img_size, rm.img_size] and pc["num_classes"] == 3
    assert pc["mean"] == pytest.approx(list(rm.spec.mean)) and pc["std"] == pytest.approx(list(rm.spec.std))
    assert (pc["interpolation"], pc["crop_pct"], pc["crop_mode"]) == ("bilinear", 1.0, "center")
    assert "license" not in pc and "tag" not in pc  # facts about timm's ImageNet weights, not about these
    block = config["cnnapp"]
    assert block["version"] and block["classes"] == list(CLASSES) and block["run_id"] == trained.id
    assert block["metrics"]["val_accuracy"] == trained.report()["val_accuracy"]
    assert block["train_config"]["data"] == "three"  # no local paths leave the machine

    card = (folder / "README.md").read_text()
    assert card.startswith("---\n") and "pipeline_tag: image-classification" in card
    assert f"{trained.report()['val_accuracy']:.1%}" in card and "| trouser |" in card and "load_exported" in card
    assert str(tiny_data) not in card and str(tiny_data) not in (folder / "config.json").read_text()

    model, loaded_cfg = load_exported(folder)
    with torch.no_grad():
        assert torch.allclose(model(x), ref, atol=1e-5)
    assert loaded_cfg == config

    if rm.spec.source == "timm":
        import timm

        by_dir = timm.create_model(f"local-dir:{folder}", pretrained=True).eval()
        by_name = timm.create_model(
            rm.spec.name,
            pretrained=True,
            num_classes=3,
            pretrained_cfg_overlay=dict(file=str(folder / "model.safetensors"), num_classes=3),
        ).eval()
        with torch.no_grad():
            for model in (by_dir, by_name):
                out = model(x)
                assert torch.allclose(out, ref, atol=1e-5)
                assert (out.argmax(1) == ref.argmax(1)).all()
        assert by_dir.pretrained_cfg["label_names"] == list(CLASSES)
        data_cfg = timm.data.resolve_data_config({}, model=by_dir)
        assert data_cfg["input_size"] == (3, rm.img_size, rm.img_size) and data_cfg["crop_pct"] == 1.0
        assert "timm.create_model" in card


def test_adaptive_pool_rewrite_is_exact():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3),  # 32 → 30 px
        nn.AdaptiveAvgPool2d(7),  # 30 → 7: not divisible, rewritten
        nn.AdaptiveAvgPool2d((3, None)),  # 7×7 → 3×7: rewritten
        nn.AdaptiveAvgPool2d(1),  # divisible: kept
    )
    up = nn.Sequential(nn.AvgPool2d(4), nn.AdaptiveAvgPool2d(6))  # 1×1 → 6×6, as AlexNet below 224 px
    for net, size, count in [(model, 32, 2), (up, 4, 1)]:
        x = torch.randn(2, 3, size, size)
        expected = net(x)
        assert fix_adaptive_pools(net, size) == count
        assert sum(isinstance(m, FixedAdaptiveAvgPool2d) for m in net.modules()) == count
        assert torch.allclose(net(x), expected, atol=1e-6)


def test_export_errors_are_one_line(tmp_path, capsys):
    empty = RunDir.create("lenet5", path=tmp_path / "empty")
    (empty.file("config.json")).write_text(json.dumps({"arch": "lenet5", "img_size": 28}))
    (empty.file("labels.json")).write_text(json.dumps(["a", "b"]))
    with pytest.raises(RunError, match="no saved weights yet"):
        export_folder(empty, tmp_path / "out")
    assert cli.main(["export", "--run", "no-such-run"]) == 2
    assert cli.main(["export", "--run", str(empty.path), "--format", "onnx"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err) and "no run named" in err[0]
    with pytest.raises(ExportError, match="not an exported model folder"):
        load_exported(tmp_path)
    with pytest.raises(ExportError, match="unknown export format"):
        export_run(empty, "tflite")


def test_push_to_hub_offline_and_without_token(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert hub._offline()  # tests/conftest.py sets HF_HUB_OFFLINE=1
    with pytest.raises(ExportError, match="offline mode is on") as info:
        push_to_hub(folder, "someone/model", token="hf_dummy")
    assert "\n" not in str(info.value)
    with pytest.raises(ExportError, match="USER/REPO"):
        push_to_hub(folder, "not a repo id", token="hf_dummy")

    # the CLI refuses before spending time on the export
    assert cli.main(["export", "--run", "missing-run", "--push-to-hub", "someone/model"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "offline mode is on" in err[0]
    assert cli.main(["export", "--run", "missing-run", "--format", "onnx", "--push-to-hub", "someone/model"]) == 2
    assert "--format safetensors" in capsys.readouterr().err

    import huggingface_hub.constants

    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no saved login
    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    with pytest.raises(ExportError, match="needs an access token.*--token or set HF_TOKEN"):
        push_to_hub(folder, "someone/model")
    monkeypatch.setenv("HF_TOKEN", "hf_from_the_environment")
    assert check_push("someone/model") == "hf_from_the_environment"
    with pytest.raises(ExportError, match="enter your token"):
        check_push("someone/model", token="  ", env_token=False)  # the app never uses the server's token


def test_cli_export_writes_both_formats(trained_lenet: RunDir, tmp_path, capsys):
    assert cli.main(["export", "--run", str(trained_lenet.path), "--format", "onnx", "--out", str(tmp_path / "o")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "o" / "model.onnx")
    assert cli.main(["export", "--run", str(trained_lenet.path)]) == 0
    out = Path(capsys.readouterr().out.strip())
    assert out.name == f"{trained_lenet.id}-safetensors" and (out / "model.safetensors").is_file()
    zipped = zip_export(out)
    assert zipped.suffix == ".zip" and zipped.stat().st_size > 1000


@pytest.fixture
def trained_lenet(small_dataset, workspace) -> RunDir:
    run, status = train(TrainConfig(data=str(small_dataset), arch="lenet5", epochs=1, batch_size=16), progress=False)
    assert status["state"] == "completed"
    return run
