"""Group commit of the simulator's writes: every POST that arrives while a commit is being made durable waits for
the next one, which carries them all (one fsync for the lot instead of one each), with the lifecycle steps that
became ready meanwhile. Each request is answered only once its own transaction is on disk; a client that goes away
meanwhile leaves a complete transaction (never half of one).

What a commit carries is taken once this process holds the write lock (``Store.write_many``), not when it starts
waiting for it: with several processes on one database (``--workers``) the commits of the others come first, and
whatever arrives during them rides on this process's next one instead of queueing a commit of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from functools import partial
from typing import TypeVar

from tui_ibhxh.ivan_sim.store import Advance, NewSubmission, Store, SubmitOutcome, TxRecord, Writes

T = TypeVar("T")

Submission = tuple[NewSubmission, float, float]
PendingSubmission = tuple[Submission, "asyncio.Future[tuple[SubmitOutcome, TxRecord]]"]
PendingSteps = tuple[Sequence[Advance], "asyncio.Future[list[TxRecord | None]]"]


class GroupCommit:
    """The one writer of a simulator instance (see the module docstring): submissions and lifecycle steps."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()  # the lists are filled on the event loop and taken on the store's thread
        self._submissions: list[PendingSubmission] = []
        self._steps: list[PendingSteps] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, new: NewSubmission, now: float, first_due: float) -> tuple[SubmitOutcome, TxRecord]:
        """The outcome of ``new`` once it is durable (with whatever else arrived meanwhile)."""
        fut: asyncio.Future[tuple[SubmitOutcome, TxRecord]] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._submissions.append(((new, now, first_due), fut))
        return await self._committed(fut)

    async def advance(self, steps: Sequence[Advance]) -> list[TxRecord | None]:
        """Apply lifecycle ``steps`` together (see ``Store.advance_many``) in the next commit; their records."""
        fut: asyncio.Future[list[TxRecord | None]] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._steps.append((steps, fut))
        return await self._committed(fut)

    async def _committed(self, fut: asyncio.Future[T]) -> T:
        if self._draining is None or self._draining.done():
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        # the commit goes on even if the caller is cancelled: shielded
        return await asyncio.shield(fut)

    def _pending(self) -> bool:
        with self._lock:
            return bool(self._submissions or self._steps)

    def _take(self) -> tuple[list[PendingSubmission], list[PendingSteps]]:
        with self._lock:
            submissions, self._submissions = self._submissions, []
            steps, self._steps = self._steps, []
        return submissions, steps

    def _take_into(self, taken: list[tuple[list[PendingSubmission], list[PendingSteps]]]) -> Writes:
        """What the commit carries: called on the store's thread, once it holds the write lock."""
        submissions, steps = self._take()
        taken.append((submissions, steps))
        return Writes(submissions=[s for s, _ in submissions], advances=[a for a, _ in steps])

    async def _drain(self) -> None:
        while self._pending():
            taken: list[tuple[list[PendingSubmission], list[PendingSteps]]] = []
            try:
                written = await self.store.run(self.store.write_many, partial(self._take_into, taken))
            except BaseException as exc:  # the whole commit failed (disk full, ...): each request says so
                submissions, steps = taken[0] if taken else self._take()
                failure = exc if isinstance(exc, Exception) else RuntimeError("store stopped")
                for _, sub_fut in submissions:
                    _settle(sub_fut, failure)
                for _, steps_fut in steps:
                    _settle(steps_fut, failure)
                if not isinstance(exc, Exception):
                    raise
                continue
            submissions, steps = taken[0]
            for (_, sub_fut), submitted in zip(submissions, written.submitted, strict=True):
                _settle(sub_fut, submitted)
            for (_, steps_fut), advanced in zip(steps, written.advanced, strict=True):
                _settle(steps_fut, advanced)


def _settle(fut: asyncio.Future[T], result: T | Exception) -> None:
    if fut.done():
        return
    if isinstance(result, Exception):
        fut.set_exception(result)
    else:
        fut.set_result(result)
