"""Shared fixtures: offline environment, an isolated workspace, real images."""

from __future__ import annotations

from cnnapp.settings import use_offline_env

use_offline_env()  # before gradio or huggingface_hub are imported

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from cnnapp.config import TrainConfig  # noqa: E402
from cnnapp.runs import RunDir  # noqa: E402
from cnnapp.train import train  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "assets" / "fashion-mnist-mini"


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own CNNAPP_HOME."""
    home = tmp_path / "workspace"
    home.mkdir()
    monkeypatch.setenv("CNNAPP_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    """The bundled example dataset (Fashion-MNIST, 10 classes × 40 images)."""
    return DEMO


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    """Three classes of the demo dataset, 12 images each, copied to a scratch folder."""
    out = tmp_path / "small"
    for name in ("bag", "sandal", "trouser"):
        (out / name).mkdir(parents=True)
        for f in sorted((DEMO / name).iterdir())[:12]:
            shutil.copy(f, out / name / f.name)
    return out


@pytest.fixture(scope="session")
def fashion_2000(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,000-image Fashion-MNIST subset (200 per class) from the Debian package."""
    from cnnapp.examples import write_fashion_mnist

    return write_fashion_mnist(tmp_path_factory.mktemp("fm") / "fm2000", per_class=200)


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """scikit-image's CC0 photos `chelsea` (a cat) and `coffee` (an espresso) as JPEG files."""
    from skimage import data

    out = tmp_path_factory.mktemp("photos")
    paths = {}
    for name in ("chelsea", "coffee"):
        paths[name] = out / f"{name}.jpg"
        Image.fromarray(getattr(data, name)()).save(paths[name], quality=92)
    return paths


def random_image(path: Path, size: tuple[int, int] = (32, 32), mode: str = "RGB", seed: int = 0) -> Path:
    """Write a random image (any PIL mode) to `path`."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(arr).convert(mode).save(path)
    return path


def trained_demo_run(home: Path) -> RunDir:
    """LeNet-5 trained for 2 epochs on the demo set (80 val images) in workspace `home`: good enough to make mistakes."""

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNAPP_HOME", str(home))
        run, status = train(TrainConfig(data=str(DEMO), arch="lenet5", epochs=2, batch_size=16), progress=False)
    assert status["state"] == "completed"
    return run
