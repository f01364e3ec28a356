"""Shared fixtures: offline environment, an isolated workspace, real images, a live server, waiting on a run."""

from __future__ import annotations

from cnnapp.settings import use_offline_env

use_offline_env()  # before gradio or huggingface_hub are imported

import shutil  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from contextlib import AbstractContextManager, contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from functools import cached_property, partial  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gradio_client import Client  # noqa: E402
from PIL import Image  # noqa: E402

from cnnapp.jobs.worker import JobManager  # noqa: E402
from cnnapp.runs import ACTIVE, RunDir  # noqa: E402
from cnnapp.training.config import TrainConfig  # noqa: E402
from cnnapp.training.train import train  # noqa: E402
from cnnapp.ui import build_app, launch_options  # noqa: E402

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
    from cnnapp.data.examples import write_fashion_mnist

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
    """LeNet-5 trained for 2 epochs on the demo set (80 val images) in workspace `home`: good enough to make
    mistakes."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNNAPP_HOME", str(home))
        run, status = train(TrainConfig(data=str(DEMO), arch="lenet5", epochs=2, batch_size=16), progress=False)
    assert status["state"] == "completed"
    return run


def poll(predicate: Callable[[], Any], timeout: float = 120, what: str | Callable[[], str] = "the condition") -> Any:
    """Call `predicate` until it returns something truthy and return that; after `timeout` s fail, saying what
    was awaited (`what` may be a function, called then, e.g. to show the last status seen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what() if callable(what) else what}")


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """`wait_for(predicate, timeout, what)`: poll until `predicate()` is truthy (see `poll`)."""
    return poll


@dataclass
class LiveApp:
    """The app served on a free port of 127.0.0.1 (gradio picks it), with its job manager."""

    demo: gr.Blocks
    jobs: JobManager

    @property
    def url(self) -> str:
        return self.demo.local_url

    @cached_property
    def client(self) -> Client:
        """An HTTP API client (one visitor's session)."""
        return self.new_client()

    def new_client(self) -> Client:
        """Another HTTP API client: a visitor with a session of its own."""
        return Client(self.url, verbose=False)

    def wait_until_finished(self, run_id: str, client: Client | None = None, timeout: float = 180) -> dict:
        """Poll the API's /run_status until the run is neither queued nor running; return that status."""
        seen: dict = {}

        def finished() -> bool:
            seen.update((client or self.client).predict(run_id, api_name="/run_status"))
            return seen["state"] not in ACTIVE

        poll(finished, timeout, lambda: f"run {run_id} to finish (last status: {seen})")
        return seen


@contextmanager
def serving(workspace: Path, threads: int | None = 1) -> Iterator[LiveApp]:
    """The app as `python app.py` launches it (the environment is read now); closed, with its jobs, on exit."""
    jobs = JobManager(workspace, threads=threads)
    demo = build_app(workspace, jobs)
    demo.launch(prevent_thread_lock=True, **launch_options(quiet=True))
    try:
        yield LiveApp(demo, jobs)
    finally:
        demo.close()
        jobs.shutdown(timeout=5)


@pytest.fixture
def serve(workspace: Path) -> Callable[..., AbstractContextManager[LiveApp]]:
    """`with serve() as app:` starts the app on this test's workspace, after the test has set its environment."""
    return partial(serving, workspace)


@pytest.fixture
def live_app(workspace: Path) -> Iterator[LiveApp]:
    """The app serving this test's workspace, training one run at a time on one thread."""
    with serving(workspace) as app:
        yield app


@pytest.fixture
def browser():
    """Headless Chromium (the Debian package) through playwright, closed afterwards."""
    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
