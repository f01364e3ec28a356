"""The limits policy (`cnnapp.limits`) from the command line and in the validation the API and UI share: every
request over a limit is refused before anything is queued, with one line naming the limit and its variable."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cnnapp import cli, settings
from cnnapp.api import parse_config
from cnnapp.data.images import load_rgb
from cnnapp.errors import ConfigError, DataError, LimitError, SettingsError
from cnnapp.limits import check_top_k, load_json
from cnnapp.training.budget import training_memory
from cnnapp.training.config import TrainConfig, resolve

DEEP = "[" * 10_000 + "]" * 10_000  # RecursionError in json.loads


def truncated_gif(path: Path) -> Path:
    """An animated GIF cut inside its second frame: PIL raises IndexError while seeking it."""
    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).convert("P") for _ in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50)
    path.write_bytes(buf.getvalue()[:1373])
    return path


def tiff_without_width(path: Path) -> Path:
    """A two-page TIFF whose second page lost its ImageWidth tag: PIL raises TypeError ("Missing dimensions")."""
    buf = io.BytesIO()
    page = Image.new("RGB", (8, 8), "red")
    page.save(buf, "TIFF", save_all=True, append_images=[page])
    data = buf.getvalue()
    width_tag = data.rfind(b"\x00\x01\x04\x00")  # tag 256 (ImageWidth), type LONG, little-endian
    path.write_bytes(data[:width_tag] + b"\xff\x00" + data[width_tag + 2 :])
    return path


def run_cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "values,message",
    [
        ({"workers": 1000}, "workers 1000 is over this server's limit of 2 (set by CNNAPP_MAX_WORKERS)"),
        ({"epochs": 1e12}, "epochs 1000000000000 is over this server's limit of 200 (set by CNNAPP_MAX_EPOCHS)"),
        ({"epochs": float("inf")}, "epochs must be int"),
        ({"epochs": True}, "epochs must be int (a whole number), got True"),
        ({"lr_head": False}, "lr_head must be float"),
        ({"arch": ["lenet5"]}, "arch must be str"),
        ({"unfreeze_epochs": 500, "arch": "resnet18", "freeze": True}, "set by CNNAPP_MAX_EPOCHS"),
        ({"batch_size": 100_000}, "set by CNNAPP_MAX_BATCH_SIZE"),
        ({"img_size": 800, "arch": "resnet18"}, "set by CNNAPP_MAX_IMG_SIZE"),
        ({"seed": 2**70}, f"seed must be between 0 and {2**32 - 1}"),
        ({"seed": -1}, "seed must be between"),
        (
            {"arch": "resnet50", "freeze": False, "pretrained": False, "img_size": 512, "batch_size": 256},
            "lower batch_size or img_size",
        ),
    ],
)
def test_settings_over_the_limits_are_refused(monkeypatch, values, message):
    monkeypatch.setattr("cnnapp.training.budget._cores", lambda: 2)
    with pytest.raises(ConfigError if "must be" in message else LimitError) as caught:
        resolve(TrainConfig.from_dict({"data": "d", "arch": "lenet5", **values}))
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_limits_follow_the_environment(monkeypatch):
    monkeypatch.setenv("CNNAPP_MAX_EPOCHS", "3")
    assert resolve(TrainConfig(data="d", arch="lenet5", epochs=3)).epochs == 3
    with pytest.raises(LimitError, match="limit of 3 "):
        resolve(TrainConfig(data="d", arch="lenet5", epochs=4))
    monkeypatch.setenv("CNNAPP_MAX_EPOCHS", "lots")
    with pytest.raises(SettingsError, match="CNNAPP_MAX_EPOCHS='lots' is not valid: expected a whole number"):
        settings.get()


def test_the_defaults_fit_a_16_gb_space():
    """The default fine-tuning (EfficientNet-Lite0 unfrozen, 224 px, batch 32) is well inside the memory estimate."""
    resolve(TrainConfig(data="d"))
    resolve(TrainConfig(data="d", pretrained=False, freeze=False))
    assert training_memory("tf_efficientnet_lite0", 224, 32, backbone_trains=True) < 0.6 * 16 * 1024**3
    assert training_memory("resnet50", 512, 256, backbone_trains=True) > 64 * 1024**3


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_cuda_without_a_gpu_is_refused_before_queueing(workspace):
    from cnnapp.jobs.worker import JobManager

    with pytest.raises(ConfigError, match="no CUDA GPU"):
        JobManager(workspace).submit({"data": "d", "arch": "lenet5", "device": "cuda"})
    assert not (workspace / "runs").exists()


def test_json_configs_are_bounded_in_depth_and_size(tmp_path, capsys):
    for text in (DEEP, '{"a": ' * 20 + "1" + "}" * 20):
        with pytest.raises(LimitError, match="nests deeper than 8 levels"):
            parse_config(text)
    with pytest.raises(LimitError, match="set by CNNAPP_MAX_CONFIG_BYTES"):
        parse_config(json.dumps({"augment": "x" * 70_000}))
    assert load_json('{"augment": "[[[[[[[[[[[[["}', "config") == {"augment": "[[[[[[[[[[[[["}
    config = tmp_path / "deep.json"
    config.write_text(DEEP)
    code, _, err = run_cli(capsys, "train", "--config", str(config), "--data", "d")
    assert code == 2 and "nests deeper than 8 levels" in err and len(err.strip().splitlines()) == 1


def test_top_k_has_one_rule():
    assert check_top_k(3) == check_top_k(3.0) == check_top_k("3") == 3
    for value, message in [("abc", "whole number"), (True, "whole number"), (2.5, "whole number"), (0, "at least 1")]:
        with pytest.raises(ConfigError, match=message):
            check_top_k(value)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--workers", "1000"], "set by CNNAPP_MAX_WORKERS"),
        (["--epochs", "1000000000000"], "set by CNNAPP_MAX_EPOCHS"),
        (["--seed", str(2**70)], "seed must be between 0 and"),
    ],
)
def test_the_cli_refuses_the_same_settings_before_creating_a_run(capsys, workspace, demo_dir, args, message):
    code, out, err = run_cli(capsys, "train", "--data", str(demo_dir), "--arch", "lenet5", *args)
    assert code == 2 and message in err and "Traceback" not in err and not out
    assert not (workspace / "runs").exists()


def test_undecodable_files_are_each_files_problem(tmp_path):
    for path in (truncated_gif(tmp_path / "cut.gif"), tiff_without_width(tmp_path / "nowidth.tif")):
        with pytest.raises(DataError, match="truncated or corrupt image"):
            load_rgb(path)


def test_cli_predict_reports_a_bad_file_and_goes_on(capsys, tmp_path, photos):
    bad = truncated_gif(tmp_path / "bad.gif")
    code, _, err = run_cli(
        capsys, "predict", "--arch", "tf_efficientnet_lite0", "--pretrained", "--top-k", "0", "x.png"
    )
    assert code == 2 and "top_k must be at least 1, got 0" in err
    images = [str(photos["chelsea"]), str(bad), str(photos["coffee"])]
    code, out, err = run_cli(
        capsys, "predict", "--arch", "tf_efficientnet_lite0", "--pretrained", "--top-k", "1", *images
    )
    assert code == 1
    assert [json.loads(line)["image"] for line in out.splitlines()] == [images[0], images[2]]
    assert err.startswith(f"error: {bad}: truncated or corrupt image") and len(err.splitlines()) == 1


@pytest.mark.slow
def test_a_session_queues_a_limited_number_of_runs_and_the_next_visitor_goes_first(monkeypatch, workspace, demo_dir):
    from cnnapp.jobs.worker import JobManager

    monkeypatch.setenv("CNNAPP_MAX_QUEUED_PER_SESSION", "1")
    jobs = JobManager(workspace, max_jobs=1, threads=1)
    long = {"data": str(demo_dir), "arch": "lenet5", "epochs": 200, "batch_size": 16}
    try:
        first = jobs.submit(long, "alice")
        waiting = jobs.submit(long, "alice")
        with pytest.raises(LimitError, match=r"1 request\(s\) waiting, this server's limit \(set by CNNAPP_MAX_QUEUED"):
            jobs.submit(long, "alice")
        bob = jobs.submit({**long, "epochs": 1}, "bob")
        jobs.stop(first.id, "alice")
        assert jobs.wait(first.id, timeout=120)["state"] == "cancelled"
        deadline = time.monotonic() + 30
        while not bob.status().get("pid") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert bob.status().get("pid") and waiting.status()["state"] == "queued"
    finally:
        jobs.shutdown(timeout=10)


@pytest.mark.slow
def test_a_run_over_the_wall_clock_limit_is_stopped_as_cancelled_with_the_reason(monkeypatch, workspace, demo_dir):
    from cnnapp.jobs.worker import JobManager

    monkeypatch.setenv("CNNAPP_MAX_RUN_MINUTES", "0.1")
    jobs = JobManager(workspace, threads=1)
    try:
        run = jobs.submit({"data": str(demo_dir), "arch": "lenet5", "epochs": 200, "batch_size": 16})
        assert jobs.wait(run.id, timeout=120)["state"] == "cancelled"
        deadline = time.monotonic() + 10  # the manager adds the reason once the process has ended
        while "CNNAPP_MAX_RUN_MINUTES" not in run.status()["message"] and time.monotonic() < deadline:
            time.sleep(0.2)
        status = run.status()
        assert status["message"].startswith("stopped after 0.1 min, this server's limit for one run (set by CNNAPP_MAX")
        assert status["state"] == "cancelled" and status["epoch"] < 200
    finally:
        jobs.shutdown(timeout=10)


def test_an_enormous_picture_is_refused_with_this_servers_limit_and_its_variable():
    """A 20000×20000 picture was refused with Pillow's "178956970 pixels" instead of CNNAPP_MAX_IMAGE_PIXELS."""
    import io

    from PIL import Image

    from cnnapp.data.images import load_rgb
    from cnnapp.errors import DataError

    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, "PNG")  # small file, 400 million pixels
    buf.seek(0)
    with pytest.raises(DataError) as err:
        load_rgb(buf)
    assert str(err.value) == (
        "image is too large (400,000,000 pixels, over this server's limit of 64,000,000); make it smaller or raise "
        "CNNAPP_MAX_IMAGE_PIXELS"
    )
    assert "178956970" not in str(err.value)


def test_an_image_size_over_the_server_limit_names_its_variable():
    """img_size 2048 was refused as "larger than cnnapp supports (1024)" without naming CNNAPP_MAX_IMG_SIZE (512)."""
    from cnnapp.training.config import TrainConfig, resolve

    with pytest.raises(
        LimitError, match=r"^img_size 2048 is over this server's limit of 512 \(set by CNNAPP_MAX_IMG_SIZE\)$"
    ):
        resolve(TrainConfig(data=".", arch="lenet5", img_size=2048))


def test_a_folder_of_phone_photos_fits_the_default_limits():
    """5,000 photos of 12 megapixels (~2.5 MB each, as a phone's) on a default install: the bench's 2,000 (4.6 GB)
    were refused by the old 4 GiB default; a dataset over the byte limit is still refused, naming its variable."""
    from cnnapp.limits import check_dataset

    check_dataset(5000, 5000 * 2_500_000, 10)
    with pytest.raises(LimitError, match="CNNAPP_MAX_DATASET_BYTES"):
        check_dataset(5000, settings.get().max_dataset_bytes + 1, 10)
