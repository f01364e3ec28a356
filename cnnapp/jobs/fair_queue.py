"""The runs waiting for a training slot, and whose turn is next.

Turns are fair between sessions (visitors): a session with fewer runs in progress goes first, then the one served
longest ago, so one visitor's many runs do not hold back another's first. Queue limits per session and per server
bound what waits.
"""

from __future__ import annotations

import time

from cnnapp import settings
from cnnapp.errors import LimitError
from cnnapp.runs import RunDir


class FairQueue:
    """The runs waiting for a training slot, and whose turn is next. Not locked: the job manager holds its lock."""

    def __init__(self, owners: dict[str, str | None]):
        self.jobs: list[tuple[RunDir, list[str]]] = []  # (run, `cnnapp train` arguments), in the order queued
        self._owners = owners  # run id → the session that queued it (the manager's)
        self._served: dict[str | None, float] = {}  # session → when its last run started

    def check(self, session: str | None, limits: settings.Settings) -> None:
        """Raise LimitError when `session`, or the server, has its limit of queued runs. The server-wide cap also
        bounds a client that opens many sessions."""
        waiting = sum(1 for run, _ in self.jobs if session and self._owners.get(run.id) == session)
        if waiting >= limits.max_queued_per_session:
            raise LimitError(
                f"you already have {waiting} run(s) waiting, this server's limit "
                f"(set by {settings.ENV_NAMES['max_queued_per_session']}); wait for one to start or stop one"
            )
        if len(self.jobs) >= limits.max_queued_total:
            raise LimitError(
                f"{len(self.jobs)} runs are already waiting for a slot, this server's limit "
                f"(set by {settings.ENV_NAMES['max_queued_total']}); try again when one has started"
            )

    def position(self, run_id: str) -> int | None:
        """1 for the next queued run to start, 2 for the one after…; None when the run is not waiting here."""
        ids = [run.id for run, _ in self.jobs]
        return ids.index(run_id) + 1 if run_id in ids else None

    def remove(self, run_id: str) -> bool:
        """Take the run off the queue; False when it was not waiting."""
        job = next((job for job in self.jobs if job[0].id == run_id), None)
        if job is not None:
            self.jobs.remove(job)
        return job is not None

    def pop(self, running: list[str]) -> tuple[RunDir, list[str]]:
        """Take the next run off the queue, in fair turns: sessions with fewer of the `running` runs first, then the
        session served longest ago, then the run queued first."""

        def turn(index: int) -> tuple:
            session = self._owners.get(self.jobs[index][0].id)
            busy = sum(1 for run_id in running if session and self._owners.get(run_id) == session)
            return busy, self._served.get(session, 0.0), index

        return self.jobs.pop(min(range(len(self.jobs)), key=turn))

    def served(self, run: RunDir) -> None:
        """Record that `run`'s session has just been given a slot."""
        self._served[self._owners.get(run.id)] = time.monotonic()
