"""The store's group commit: one submission of a batch that fails is rolled back alone, the others commit; a
commit carries whatever arrived while it waited for the write lock."""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.sim_server import CONTACT, UNIT_A
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.ivan_sim.batch import GroupCommit
from tui_ibhxh.ivan_sim.store import Advance, NewSubmission, Store, SubmitOutcome, Writes, Written


def _new(ma_dvi: str, key: str) -> NewSubmission:
    return NewSubmission(ma_dvi=ma_dvi, idempotency_key=key, body_sha256=key, dossier=b"<Hoso/>", signer_der=b"")


def test_a_failing_submission_of_a_batch_leaves_the_others(tmp_path: Path) -> None:
    store = Store(tmp_path / "sim.sqlite3")
    try:
        now = time.time()
        store.seed_unit(UNIT_A, CONTACT, b"", now)
        batch = [
            (_new(UNIT_A.ma_dvi, "k1"), now, now),
            (_new("NOUNIT", "k2"), now, now),
            (_new(UNIT_A.ma_dvi, "k3"), now, now),
        ]
        first, failed, third = store.submit_many(batch)
        assert isinstance(failed, sqlite3.IntegrityError)  # no such unit
        assert not isinstance(first, Exception) and not isinstance(third, Exception)
        assert first[0] is third[0] is SubmitOutcome.CREATED
        assert (first[1].seq, third[1].seq) == (1, 2)
        assert [r.tx.ma_gdich for r in store.list_transactions(UNIT_A.ma_dvi, 10, None).records] == [
            third[1].tx.ma_gdich,
            first[1].tx.ma_gdich,
        ]
        again, twice = store.submit_many([(_new(UNIT_A.ma_dvi, "k1"), now, now), (batch[2][0], now, now)])
        assert not isinstance(again, Exception) and again[0] is SubmitOutcome.EXISTING
        assert not isinstance(twice, Exception) and twice[0] is SubmitOutcome.EXISTING
    finally:
        store.close()


def test_a_failing_group_of_lifecycle_steps_leaves_the_rest_of_its_commit(tmp_path: Path) -> None:
    store = Store(tmp_path / "sim.sqlite3")
    try:
        now = time.time()
        store.seed_unit(UNIT_A, CONTACT, b"", now)
        _, sent = store.submit(_new(UNIT_A.ma_dvi, "k0"), now, now)
        ma_gdich = sent.tx.ma_gdich
        received = Advance(ma_gdich, TxStatus.SENT, TxStatus.RECEIVED, now, now)
        twice = Advance(ma_gdich, TxStatus.SENT, TxStatus.SENT, now, now)  # a second SENT timeline entry: refused
        written = store.write_many(
            lambda: Writes(submissions=[(_new(UNIT_A.ma_dvi, "k1"), now, now)], advances=[[twice], [received]])
        )
        [submitted] = written.submitted
        assert not isinstance(submitted, Exception) and submitted[0] is SubmitOutcome.CREATED
        failed, applied = written.advanced
        assert isinstance(failed, sqlite3.IntegrityError)
        assert not isinstance(applied, Exception) and [r.tx.status for r in applied if r] == [TxStatus.RECEIVED]
        record = store.get_transaction(ma_gdich)
        assert record is not None and [e.status for e in record.tx.timeline] == [TxStatus.SENT, TxStatus.RECEIVED]
    finally:
        store.close()


async def test_a_commit_carries_what_arrived_while_it_waited_for_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a commit carries is taken once the write lock is held: the submissions and lifecycle steps that arrive
    while another process commits ride on one commit, not one each."""
    path = tmp_path / "sim.sqlite3"
    store = Store(path)
    try:
        now = time.time()
        store.seed_unit(UNIT_A, CONTACT, b"", now)
        _, sent = store.submit(_new(UNIT_A.ma_dvi, "k0"), now, now)
        commits: list[Writes] = []
        waiting = threading.Event()
        write_many = store.write_many

        def counted(take: Callable[[], Writes]) -> Written:
            waiting.set()

            def taken() -> Writes:  # what this commit carries, as the store takes it
                writes = take()
                commits.append(writes)
                return writes

            return write_many(taken)

        monkeypatch.setattr(store, "write_many", counted)
        group = GroupCommit(store)
        loop = asyncio.get_running_loop()
        with path.with_name(f"{path.name}.writer-lock").open("ab") as other:
            fcntl.flock(other, fcntl.LOCK_EX)  # another process is committing
            first = asyncio.ensure_future(group.submit(_new(UNIT_A.ma_dvi, "k1"), now, now))
            assert await loop.run_in_executor(None, waiting.wait, 10)  # its commit waits for the lock
            second = asyncio.ensure_future(group.submit(_new(UNIT_A.ma_dvi, "k2"), now, now))
            steps = asyncio.ensure_future(
                group.advance([Advance(sent.tx.ma_gdich, TxStatus.SENT, TxStatus.RECEIVED, now, now)])
            )
            await asyncio.sleep(0)  # both queued (no time passes)
            fcntl.flock(other, fcntl.LOCK_UN)
            outcomes = await asyncio.gather(first, second)
            [applied] = await steps
        assert [o for o, _ in outcomes] == [SubmitOutcome.CREATED, SubmitOutcome.CREATED]
        assert applied is not None and applied.tx.status is TxStatus.RECEIVED
        assert len(commits) == 1
        assert len(commits[0].submissions) == 2 and len(commits[0].advances) == 1
    finally:
        store.close()
