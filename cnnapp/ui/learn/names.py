"""The Learn tab's names that come in groups (kernels, pooling methods, losses, optimizers, surfaces, table columns),
keyed by language: "en" (the default) and "es" (the course's own terms). The tab's other text is in
`cnnapp.ui.strings.learn`; these are looked up on the server, by the language of the request (`names`).

Both languages have the same groups and names (a test checks).
"""

from __future__ import annotations

from cnnapp.ui.i18n import lang

NAMES: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "methods": {"max": "max", "min": "min", "avg": "average"},
        "kernels": {
            "identity": "identity",
            "horizontal edges": "horizontal edges",
            "vertical edges": "vertical edges",
            "sobel x": "Sobel x",
            "sobel y": "Sobel y",
            "sharpen": "sharpen",
            "box blur": "box blur",
            "outline": "outline",
        },
        "arch_columns": {
            "architecture": "architecture",
            "family": "family",
            "year": "year",
            "depth (layers)": "depth (layers)",
            "params (computed)": "params (computed)",
            "ILSVRC entry (course)": "ILSVRC entry (course)",
            "course layers": "course layers",
            "top-5 error % (course)": "top-5 error % (course)",
            "ILSVRC place (course)": "ILSVRC place (course)",
            "note": "note",
        },
        "loss_names": {
            "mse": "MSE",
            "mae": "MAE",
            "bce": "Binary cross-entropy",
            "cce": "Categorical cross-entropy",
        },
        "runner_names": {"SGD + momentum": "SGD + momentum"},
        "surfaces": {"Rosenbrock": "Rosenbrock", "saddle": "saddle", "Beale": "Beale"},
        "places": {"1st in": "1st in", "2nd in": "2nd in"},
    },
    "es": {
        "methods": {"max": "máxima (max-pool)", "min": "mínima (min-pool)", "avg": "promedio (avg-pool)"},
        "kernels": {
            "identity": "identidad",
            "horizontal edges": "bordes horizontales",
            "vertical edges": "bordes verticales",
            "sobel x": "Sobel x",
            "sobel y": "Sobel y",
            "sharpen": "enfocar",
            "box blur": "desenfoque de caja",
            "outline": "contorno",
        },
        "arch_columns": {
            "architecture": "arquitectura",
            "family": "familia",
            "year": "año",
            "depth (layers)": "profundidad (capas)",
            "params (computed)": "parámetros (calculados)",
            "ILSVRC entry (course)": "participación ILSVRC (curso)",
            "course layers": "capas (curso)",
            "top-5 error % (course)": "error top-5 % (curso)",
            "ILSVRC place (course)": "puesto ILSVRC (curso)",
            "note": "nota",
        },
        "loss_names": {
            "mse": "MSE",
            "mae": "MAE",
            "bce": "Entropía cruzada binaria",
            "cce": "Entropía cruzada categórica",
        },
        "runner_names": {"SGD + momentum": "SGD + momento"},
        "surfaces": {"Rosenbrock": "Rosenbrock", "saddle": "silla", "Beale": "Beale"},
        "places": {"1st in": "primer lugar en", "2nd in": "segundo lugar en"},
    },
}


def names(group: str) -> dict[str, str]:
    """One group of names in the language of the request being served."""
    return NAMES[lang()][group]
