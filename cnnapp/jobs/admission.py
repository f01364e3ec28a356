"""The one admission rule for every way of creating or restarting a run (README, "Limits").

A *request* is what a person asks for at once: a Start (page or API), a Resume, a Compare grid (4 runs), the Learn
tab's optimizer race (7 runs), a learning-rate finder. It is admitted whole or refused whole, before any run exists:

- it creates at most `CNNAPP_MAX_RUNS_PER_REQUEST` runs (8: the course's race is 7);
- a session may have `CNNAPP_MAX_QUEUED_PER_SESSION` requests waiting (2: one grid and one race fit);
- the server holds `CNNAPP_MAX_QUEUED_TOTAL` waiting requests, all sessions together (a client that opens many
  sessions cannot queue more);
- the workspace's disk keeps `CNNAPP_MIN_FREE_DISK` free.

A request waits while any of its runs waits for a training slot; a running learning-rate finder counts as waiting.
Counting requests rather than runs is what lets a grid or a race be queued on a default install, while their size
stays bounded by the first rule.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cnnapp import settings
from cnnapp.errors import LimitError
from cnnapp.limits import check_free_space, over
from cnnapp.messages import msg
from cnnapp.settings import Settings

KINDS = ("start", "resume", "grid", "race", "lr-find")


@dataclass(frozen=True)
class Request:
    """One person's request: `runs` runs (0 for a learning-rate finder) for `session`."""

    kind: str
    session: str | None
    runs: int = 1
    id: str = field(default_factory=lambda: secrets.token_hex(6))


def check(request: Request, waiting: Iterable[Request], root: Path, limits: Settings | None = None) -> None:
    """Admit `request` beside the requests `waiting` now, or raise LimitError saying which limit and its variable."""
    limits = limits or settings.get()
    if request.runs > limits.max_runs_per_request:
        raise over(f"a {request.kind} of", request.runs, limits.max_runs_per_request, "max_runs_per_request", " runs")
    waiting = {r.id: r for r in waiting if r.id != request.id}.values()
    mine = sum(1 for r in waiting if request.session and r.session == request.session)
    if mine >= limits.max_queued_per_session:
        variable = settings.ENV_NAMES["max_queued_per_session"]
        raise LimitError(msg("limit.queued_session", count=mine, variable=variable))
    if len(waiting) >= limits.max_queued_total:
        variable = settings.ENV_NAMES["max_queued_total"]
        raise LimitError(msg("limit.queued_total", count=len(waiting), variable=variable))
    check_free_space(root, limits)
