"""The predictor's fast path: a traced, frozen copy of the model that the app's loaded models switch to."""

from __future__ import annotations

import pytest
import torch
from conftest import poll, trained_demo_run
from torch import nn

from cnnapp.data.transforms import prepare_arrays
from cnnapp.jobs import sessions
from cnnapp.serving.inference import MODELS, Predictor, fast_path, to_square_array


def _batch(predictor: Predictor, demo_dir) -> torch.Tensor:
    paths = [sorted(folder.iterdir())[0] for folder in sorted(demo_dir.iterdir())]
    return prepare_arrays([to_square_array(p, predictor.img_size) for p in paths], predictor.prep)


@pytest.mark.parametrize("model", ["run", "imagenet"])
def test_the_fast_path_answers_as_the_model_does(workspace, demo_dir, model):
    # a predictor of its own: no background speed-up can swap its forward while the eager answers are taken
    if model == "run":
        predictor = Predictor.from_run(trained_demo_run(workspace))
    else:
        predictor = Predictor.imagenet("tf_efficientnet_lite0")
    predictor.bf16 = False  # in fp32 the answers match to rounding (bf16 rounds differently in the folded layers)
    x = _batch(predictor, demo_dir)
    assert predictor._fast is None
    eager = predictor.forward(x)
    predictor.speed_up()
    assert predictor._fast is not None, "the model was not traced"
    assert predictor.forward(x) == pytest.approx(eager, abs=1e-4)
    assert predictor.nbytes == 2 * predictor._weight_bytes  # the folded copy counts in the model cache's budget


def test_the_app_loads_its_models_and_moves_them_to_the_fast_path_in_the_background(workspace):
    run = trained_demo_run(workspace)
    MODELS.clear()
    predictor = sessions.load_predictor(run.id, workspace)
    poll(lambda: predictor._fast is not None, 60, "the fast path")
    assert sessions.load_predictor(run.id, workspace) is predictor


class _BatchOfOne(nn.Module):
    """Answers differently for one image than for several: a trace at one image records the wrong branch."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = x.mean((2, 3))
        return pooled * 2 if x.shape[0] == 1 else pooled


class _Untraceable(nn.Module):
    def forward(self, x: torch.Tensor) -> dict:
        return {"logits": x.mean((2, 3)), "note": "tracing cannot return this"}


@pytest.mark.parametrize("model", [_BatchOfOne(), _Untraceable()], ids=["other answers", "untraceable"])
def test_a_model_the_fast_path_would_get_wrong_keeps_its_eager_forward(model):
    example = torch.zeros(1, 3, 8, 8).contiguous(memory_format=torch.channels_last)
    assert fast_path(model.eval(), example) is None
