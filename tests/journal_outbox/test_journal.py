"""The outbox: durable before the POST, forward-only states, never replaced, never a PIN, no data loss."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui_ibhxh.core.models import TimelineEntry, Transaction, TxRef, TxStatus
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.journal import MAX_ERROR, EntryState, Journal

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
XML = '<?xml version="1.0" encoding="UTF-8"?>\n<BHXH><TEN_DVI>Công ty TNHH ABC</TEN_DVI></BHXH>'.encode()
REPO = Path(__file__).resolve().parents[2]


def tx(status: TxStatus, ma_loi: str | None = None) -> Transaction:
    return Transaction(
        "GD1",
        "TA1234A/2026/000001",
        "TA1234A",
        "Thay đổi",
        "k1",
        T0,
        status,
        T0 + timedelta(seconds=5),
        ma_loi,
        "lý do" if ma_loi else None,
        (TimelineEntry(status, T0),),
    )


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "j" / "journal.sqlite3", clock=lambda: T0)
    yield j
    j.close()


def test_lifecycle_and_forward_only(journal: Journal) -> None:
    e = journal.record_signed("k1", "TA1234A", "6A7B", XML)
    assert e.state is EntryState.SIGNED and e.signed_xml == XML and journal.unfinished() == [e]
    assert journal.pending_for_unit("TA1234A") and not journal.pending_for_unit("OTHER")
    journal.note_attempt("k1", "connection reset " * 100)
    got = journal.get("k1")
    assert got is not None and got.attempts == 1 and got.last_error is not None and len(got.last_error) <= MAX_ERROR
    journal.mark_submitted("k1", tx(TxStatus.SENT))
    journal.update_status("k1", tx(TxStatus.RECEIVED))
    journal.update_status("k1", tx(TxStatus.SENT))  # late, older: ignored
    got = journal.by_ref(TxRef("", "GD1"))
    assert got is not None and got.state is EntryState.SUBMITTED and got.status is TxStatus.RECEIVED
    journal.update_status("k1", tx(TxStatus.REJECTED, "CERT_EXPIRED"))
    journal.update_status("k1", tx(TxStatus.RECEIVED))
    final = journal.get("k1")
    assert final is not None and final.state is EntryState.FINAL and final.ma_loi == "CERT_EXPIRED"
    assert journal.unfinished() == [] and journal.entries() == [final]


def test_refused_is_never_resent_and_illegal_moves_fail(journal: Journal) -> None:
    journal.record_signed("k2", "TA1234A", "6A7B", XML)
    journal.mark_refused("k2", "SIGNATURE_INVALID", "Chữ ký không hợp lệ")
    assert journal.unfinished() == []
    with pytest.raises(UserError) as info:
        journal.mark_submitted("k2", tx(TxStatus.SENT))
    assert info.value.key == "journal.bad_transition"
    with pytest.raises(UserError):
        journal.update_status("nope", tx(TxStatus.SENT))


def test_same_key_same_bytes_is_idempotent_different_bytes_refused(journal: Journal) -> None:
    a = journal.record_signed("k3", "TA1234A", "6A7B", XML)
    assert journal.record_signed("k3", "TA1234A", "6A7B", XML) == a
    with pytest.raises(UserError) as info:
        journal.record_signed("k3", "TA1234A", "6A7B", XML + b" ")
    assert info.value.key == "journal.key_conflict" and "k3" in info.value.message("vi")
    assert journal.get("k3") == a


def test_durable_when_killed_right_after_record(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite3"
    code = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        from tui_ibhxh.services.journal import Journal
        j = Journal(Path({str(db)!r}))
        j.record_signed("killed", "TA1234A", "6A7B", {XML!r})
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, check=False)
    assert res.returncode == -signal.SIGKILL
    j = Journal(db)
    entry = j.get("killed")
    assert entry is not None and entry.signed_xml == XML and entry.state is EntryState.SIGNED
    import hashlib

    assert entry.sha256 == hashlib.sha256(XML).hexdigest().upper()
    j.close()


def test_two_processes_writing_concurrently(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite3"
    Journal(db).close()
    code = textwrap.dedent("""
        import sys
        from pathlib import Path
        from tui_ibhxh.services.journal import Journal
        j = Journal(Path(sys.argv[1]))
        for i in range(25):  # one unfinished dossier per unit: 25 units per process
            j.record_signed(f"{sys.argv[2]}-{i}", f"U{sys.argv[2]}{i}", "6A7B", b"<BHXH/>" + sys.argv[2].encode())
        j.close()
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db), name], cwd=REPO) for name in ("a", "b")]
    assert [p.wait(60) for p in procs] == [0, 0]
    j = Journal(db)
    assert len(j.entries(limit=100)) == 50
    j.close()


def test_unreadable_file_is_a_clear_error_and_left_untouched(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite3"
    garbage = b"this is not a database, but it may be the only copy of something" * 100
    db.write_bytes(garbage)
    with pytest.raises(UserError) as info:
        Journal(db).entries()
    assert info.value.key == "journal.unreadable"
    assert str(db) in info.value.message("vi") and "giữ nguyên" in info.value.message("vi")
    assert db.read_bytes() == garbage


def test_file_modes_and_no_pin(tmp_path: Path) -> None:
    pin = "73918246"
    db = tmp_path / "sub" / "journal.sqlite3"
    j = Journal(db)
    j.record_signed("k", "TA1234A", "6A7B", XML)
    j.note_attempt("k", "Mã PIN không đúng.")  # what errors look like: never the PIN itself
    j.close()
    assert db.stat().st_mode & 0o777 == 0o600 and db.parent.stat().st_mode & 0o777 == 0o700
    blob = b"".join(p.read_bytes() for p in db.parent.iterdir())
    assert pin.encode() not in blob
    assert os.path.exists(db)


def test_an_error_is_kept_by_key_and_said_in_the_readers_language() -> None:
    """The journal keeps a failed send's error as its key and parameters: History and the pending dialog say it in
    the language of whoever reads it (a row written as a sentence by an older version is said as written)."""
    from tui_ibhxh.core.i18n import t
    from tui_ibhxh.core.i18n import translator as tr
    from tui_ibhxh.services.errors import kept, said
    from tui_ibhxh.services.provider import IvanError

    error = IvanError("ivan.unreachable", url="http://127.0.0.1:9/api/v1", reason=UserError("error.cause.refused"))
    stored = kept(error)
    assert said(stored, tr("vi")) == error.message("vi") and said(stored, tr("en")) == error.message("en")
    assert error.message("vi") != error.message("en")
    assert said(kept(ConnectionResetError("peer said bye")), tr("en")) == t("error.network_unreachable", "en")
    assert said("connection reset", tr("vi")) == "connection reset"  # an older row
    assert said('{"key": "no.such.key", "params": {}}', tr("en")) == t("error.unexpected", "en")
    assert said(None, tr("vi")) is None
