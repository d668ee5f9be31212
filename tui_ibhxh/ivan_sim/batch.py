"""Group commit of submissions: every POST that arrives while a commit is being made durable waits for the next
one, which carries them all (one fsync for the lot instead of one each). Each request is answered only once its
own transaction is on disk; a client that goes away meanwhile leaves a complete transaction (never half of one).
"""

from __future__ import annotations

import asyncio

from tui_ibhxh.ivan_sim.store import NewSubmission, Store, SubmitOutcome, TxRecord

Pending = tuple[NewSubmission, float, float, "asyncio.Future[tuple[SubmitOutcome, TxRecord]]"]


class GroupCommit:
    """The one writer of submissions of a simulator instance (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: list[Pending] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, new: NewSubmission, now: float, first_due: float) -> tuple[SubmitOutcome, TxRecord]:
        """The outcome of ``new`` once it is durable (with whatever else arrived meanwhile)."""
        fut: asyncio.Future[tuple[SubmitOutcome, TxRecord]] = asyncio.get_running_loop().create_future()
        self._pending.append((new, now, first_due, fut))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        # the commit goes on even if this request is cancelled: shielded
        return await asyncio.shield(fut)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                results = await self.store.run(self.store.submit_many, [(n, now, due) for n, now, due, _ in batch])
            except BaseException as exc:  # the whole commit failed (disk full, ...): each request says so
                for *_, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc if isinstance(exc, Exception) else RuntimeError("store stopped"))
                if not isinstance(exc, Exception):
                    raise
                continue
            for (*_, fut), result in zip(batch, results, strict=True):
                if fut.done():
                    continue
                if isinstance(result, Exception):
                    fut.set_exception(result)
                else:
                    fut.set_result(result)
