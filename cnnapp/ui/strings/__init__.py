"""Every user-visible string of the web UI, in English and Spanish: one module per tab, each with `EN` and `ES`
dicts whose keys start with the module's name (`train.epochs`); `engine` holds what the engine says, by message code;
`arch` describes the architectures, `dataframe` and `status` (and `common.complete`…) give gradio's own component
texts, keyed as gradio keys them. Both languages have the same keys (a test checks). Long modules because they are
text, not code."""

from __future__ import annotations

from types import ModuleType

from cnnapp.ui.strings import (
    arch,
    builder,
    common,
    compare,
    data,
    dataframe,
    engine,
    evaluate,
    explain,
    export,
    learn,
    predict,
    runs,
    status,
    train,
)

# the tabs' text, then what the engine says, the architectures' descriptions and gradio's own component texts
MODULES: list[ModuleType] = [
    *(common, data, builder, train, runs, predict, evaluate, compare, explain, export, learn),
    *(engine, arch, dataframe, status),
]


def _merge(attr: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for module in MODULES:
        table.update(getattr(module, attr))
    return table


STRINGS: dict[str, dict[str, str]] = {"en": _merge("EN"), "es": _merge("ES")}
