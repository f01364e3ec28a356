"""Figures, interleaved timing and the result table."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


@dataclass
class Figure:
    """One benchmark result: `value` compared with `goal` by `op` (">=" or "<="), with absolute numbers in `detail`."""

    key: str
    value: float
    goal: float
    op: str
    unit: str = ""
    detail: dict[str, float | str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.value >= self.goal if self.op == ">=" else self.value <= self.goal)


class Skip(Exception):
    """Raised by a benchmark that cannot run here (e.g. an optional peer is not installed): one line saying why."""


def rate(fn: Callable[[], int]) -> float:
    """Items per second of one call of `fn`, which returns how many items it processed."""
    start = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - start)


def interleaved_rates(fns: dict[str, Callable[[], int]], rounds: int) -> dict[str, float]:
    """Median items/s of each function, run A, B, A, B, … so that machine noise hits all alike
    (after one unmeasured warm-up call each: first calls build oneDNN kernels and caches)."""
    for fn in fns.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            samples[name].append(rate(fn))
    return {name: statistics.median(values) for name, values in samples.items()}


def _number(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def cells(f: Figure) -> tuple[str, str, str, str, str]:
    """A figure as its table shows it (the text table and the README's): key, value, goal, pass/FAIL, absolutes."""
    absolute = ", ".join(f"{k} {_number(v)}" if isinstance(v, float) else f"{k} {v}" for k, v in f.detail.items())
    return f.key, f"{f.value:.2f}{f.unit}", f"{f.op} {f.goal:g}{f.unit}", "pass" if f.passed else "FAIL", absolute


def table(figures: list[Figure]) -> str:
    """The results as a fixed-width text table."""
    rows = [("figure", "value", "goal", "result", "absolute"), *map(cells, figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def read_json(path: Path) -> tuple[dict, dict[str, str], list[Figure]]:
    """What `write_json` wrote: the meta, the skipped benchmarks and the figures, in the order they ran."""
    data = json.loads(Path(path).read_text())
    names = {f.name for f in fields(Figure)}
    figures = [Figure(**{k: v for k, v in d.items() if k in names}) for d in data["details"].values()]
    return data["meta"], data["skipped"], figures


def write_json(figures: list[Figure], path: Path, meta: dict, skipped: dict[str, str] | None = None) -> None:
    """The figures under their keys, with goals, pass/fail and absolute numbers, and the skipped benchmarks' reasons."""
    data = {
        "meta": meta,
        "skipped": skipped or {},
        "figures": {f.key: float(f.value) for f in figures},
        "details": {f.key: {**asdict(f), "passed": f.passed} for f in figures},
    }
    Path(path).write_text(json.dumps(data, indent=1))
