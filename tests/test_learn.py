"""The Learn tab's engine: the course's convolution, pooling, stacking and architecture figures."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from cnnapp.course import convolution
from cnnapp.errors import ConfigError
from cnnapp.models.registry import count_params

COURSE = [
    [4, 2, 2, 1, 4, 6],
    [3, 1, 5, 7, 8, 8],
    [9, 12, 14, 6, 9, 11],
    [4, 3, 4, 11, 4, 6],
    [4, 7, 15, 2, 8, 13],
    [3, 2, 10, 1, 5, 8],
]


def windows(m: np.ndarray, k: int, s: int, reduce) -> np.ndarray:
    """Reference pooling by explicit loops."""
    n = (m.shape[0] - k) // s + 1
    return np.array([[reduce(m[i * s : i * s + k, j * s : j * s + k]) for j in range(n)] for i in range(n)])


def test_course_max_pool_example_is_exact():
    out = convolution.pool(COURSE, "max", kernel=2, stride=2)
    assert out.tolist() == [[4, 7, 8], [12, 14, 11], [7, 15, 13]]
    assert convolution.COURSE_MATRIX.tolist() == COURSE  # the module's copy is the course's matrix
    np.testing.assert_array_equal(convolution.pool(convolution.COURSE_MATRIX), convolution.COURSE_MAX_POOL)


@pytest.mark.parametrize("method,reduce", [("max", np.max), ("min", np.min), ("avg", np.mean)])
@pytest.mark.parametrize("kernel,stride", [(2, 2), (3, 1), (3, 3), (2, 1)])
def test_pooling_matches_explicit_windows(method, reduce, kernel, stride):
    m = np.array(COURSE, dtype=np.float32)
    np.testing.assert_allclose(
        convolution.pool(m, method, kernel, stride), windows(m, kernel, stride, reduce), rtol=1e-6
    )


def test_min_pool_of_the_course_matrix():
    assert convolution.pool(COURSE, "min").tolist() == [[1, 1, 4], [3, 4, 4], [2, 1, 5]]


def test_pooling_an_image_keeps_channels_and_halves_the_size():
    image = np.random.default_rng(0).integers(0, 255, (28, 30, 3), dtype=np.uint8)
    out = convolution.pool_image(image, "max", 2, 2)
    assert out.shape == (14, 15, 3) and out.dtype == np.uint8
    assert out[0, 0, 1] == image[:2, :2, 1].max()


def test_stacking_six_by_six_with_eight_filters_gives_a_4x4x8_volume():
    result = convolution.stack(COURSE)
    assert result.volume.shape == (4, 4, 8) and result.shape_text == "4 × 4 × 8"
    assert len(result.filters) == 8
    for i, name in enumerate(result.filters):
        np.testing.assert_allclose(
            result.volume[..., i],
            convolution.convolve(COURSE, convolution.KERNELS[name]).feature_map,
            rtol=1e-5,
            atol=1e-5,
        )
    np.testing.assert_array_equal(result.volume[..., result.filters.index("identity")], np.array(COURSE)[1:5, 1:5])
    slices = convolution.volume_slices(result)
    assert len(slices) == 8 and all(caption.endswith("4×4") for _, caption in slices)
    assert isinstance(convolution.volume_figure(result), Figure)


@pytest.mark.parametrize(
    "w,k,p,s", [(6, 3, 0, 1), (6, 3, 1, 1), (28, 3, 1, 2), (28, 5, 2, 1), (7, 3, 0, 2), (32, 3, 0, 3), (10, 2, 3, 4)]
)
def test_convolution_output_size_follows_the_formula(w, k, p, s):
    image = np.random.default_rng(w).integers(0, 255, (w, w, 3), dtype=np.uint8)
    result = convolution.convolve(image, np.ones((k, k)), padding=p, stride=s)
    expected = int(np.floor((w - k + 2 * p) / s)) + 1
    assert result.shape == (expected, expected)
    assert result.formula_h.endswith(f"= {expected}") and f"({w} − {k} + 2·{p}) / {s}" in result.formula_h


def test_formula_text_for_the_course_example():
    assert convolution.formula(6, 3, 0, 1) == "(6 − 3 + 2·0) / 1 + 1 = 4"
    assert convolution.formula(7, 3, 0, 2) == "(7 − 3 + 2·0) / 2 + 1 = 3"
    assert convolution.formula(8, 3, 0, 2) == "⌊(8 − 3 + 2·0) / 2⌋ + 1 = 3"


def test_convolution_values_edges_and_relu():
    step = np.zeros((6, 6), dtype=np.float32)
    step[:, 3:] = 1.0
    edges = convolution.convolve(step, convolution.KERNELS["vertical edges"]).feature_map
    assert edges.tolist() == [[0, 3, 3, 0]] * 4  # the kernel responds where dark meets light
    assert np.abs(convolution.convolve(step, convolution.KERNELS["horizontal edges"]).feature_map).max() == 0
    raw = convolution.convolve(1 - step, convolution.KERNELS["vertical edges"]).feature_map
    assert raw.min() < 0
    np.testing.assert_array_equal(
        convolution.convolve(1 - step, convolution.KERNELS["vertical edges"], relu=True).feature_map, np.maximum(raw, 0)
    )
    np.testing.assert_array_equal(
        convolution.convolve(step, convolution.KERNELS["identity"], padding=1).feature_map, step
    )


def test_a_custom_kernel_from_a_table_and_clear_errors():
    import pandas as pd

    kernel = pd.DataFrame([[0, 0, 0], [0, 2, 0], [0, 0, 0]])
    assert convolution.convolve(COURSE, kernel).feature_map[0, 0] == 2 * COURSE[1][1]
    with pytest.raises(ConfigError, match="does not fit"):
        convolution.convolve(np.zeros((2, 2)), np.ones((3, 3)))
    with pytest.raises(ConfigError, match="numbers only"):
        convolution.convolve(COURSE, [["a", 1, 1], [1, 1, 1], [1, 1, 1]])
    with pytest.raises(ConfigError, match="square"):
        convolution.convolve(COURSE, np.ones((2, 3)))
    with pytest.raises(ConfigError, match="unknown pooling"):
        convolution.pool(COURSE, "median")


def test_display_image_is_enlarged_without_smoothing():
    im = convolution.to_image(np.array([[0.0, 1.0], [2.0, 3.0]]), min_side=64)
    assert im.size == (64, 64)
    assert im.getpixel((0, 0)) == 0 and im.getpixel((63, 63)) == 255


def test_architectures_table_has_the_course_figures_and_computed_params():
    table = convolution.architectures_table().set_index("architecture")
    expected = {
        "alexnet": (8, 15.3, 2012),
        "vgg19": (19, 7.3, 2014),
        "googlenet": (22, 6.67, 2014),
        "resnet152": (152, 3.57, 2015),
    }
    for name, (layers, error, year) in expected.items():
        row = table.loc[name]
        assert row["course layers"] == layers and row["top-5 error % (course)"] == error and row["year"] == year
        assert row["depth (layers)"] == layers
    assert (table["params (computed)"] == [count_params(n) for n in table.index]).all()
    assert table.loc["vgg16", "params (computed)"] == 138_357_544 and "agrees" in table.loc["vgg16", "note"]
    assert "4 million" in table.loc["googlenet", "note"] and "differs" in table.loc["googlenet", "note"]
    assert "VGG-16" in table.loc["vgg19", "note"]
    assert table.loc["lenet5", "year"] == 1998


def test_shapes_image_has_edges_in_both_directions():
    image = convolution.shapes_image(96)
    assert image.shape == (96, 96, 3) and image.dtype == np.uint8
    vertical = np.abs(convolution.convolve(image, convolution.KERNELS["vertical edges"]).feature_map)
    horizontal = np.abs(convolution.convolve(image, convolution.KERNELS["horizontal edges"]).feature_map)
    assert vertical.max() > 1 and horizontal.max() > 1
    assert not np.allclose(vertical, horizontal)
