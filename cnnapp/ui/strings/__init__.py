"""Every user-visible string of the web UI, in English and Spanish: one module per tab, each with `EN` and `ES`
dicts whose keys start with the module's name (`train.epochs`). Both languages have the same keys (a test checks).
Long modules because they are text, not code. `engine` holds what the engine says, by message code."""

from __future__ import annotations

from types import ModuleType

from cnnapp.ui.strings import (
    builder,
    common,
    compare,
    data,
    engine,
    evaluate,
    explain,
    export,
    learn,
    predict,
    runs,
    train,
)

TAB_MODULES: list[ModuleType] = [common, data, builder, train, runs, predict, evaluate, compare, explain, export, learn]
MODULES: list[ModuleType] = [*TAB_MODULES, engine]


def _merge(attr: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for module in MODULES:
        table.update(getattr(module, attr))
    return table


STRINGS: dict[str, dict[str, str]] = {"en": _merge("EN"), "es": _merge("ES")}
