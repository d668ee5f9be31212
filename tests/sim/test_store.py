"""The store's group commit: one submission of a batch that fails is rolled back alone, the others commit."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from tests.support.sim_server import CONTACT, UNIT_A
from tui_ibhxh.ivan_sim.store import NewSubmission, Store, SubmitOutcome


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
