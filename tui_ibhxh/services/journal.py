"""The local outbox: every signed dossier is committed here (SQLite, WAL, synchronous=FULL) before it is sent.

One row per intent, keyed by the dossier's idempotency key (MA_YEUCAU). States only move forward:

    SIGNED ──► SUBMITTED ──► FINAL          (the I-VAN took it; BHXH answered ACCEPTED or REJECTED)
       └─────► REFUSED                       (the I-VAN refused it at once: 4xx; never re-sent automatically)

The signed XML is stored as the exact bytes that were signed and is never re-serialised. No PIN, no
free-form blobs: only the XML, identifiers, statuses and short error texts.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from tui_ibhxh.core.i18n import register
from tui_ibhxh.core.models import Transaction, TxStatus
from tui_ibhxh.services.errors import UserError

register(
    {
        "journal.unreadable": (
            "Không mở được nhật ký hồ sơ {path}: {problem}. Tệp được giữ nguyên (có thể chứa hồ sơ đã ký); "
            "hãy sao lưu nó rồi liên hệ hỗ trợ.",
            "Cannot open the dossier journal {path}: {problem}. The file is left untouched (it may hold signed "
            "dossiers); back it up and contact support.",
        ),
        "journal.key_conflict": (
            "Mã yêu cầu {key} đã có một hồ sơ đã ký khác trong nhật ký; hồ sơ đã ký không bao giờ bị thay thế.",
            "Request key {key} already has a different signed dossier in the journal; it is never replaced.",
        ),
        "journal.unknown": ("Nhật ký không có hồ sơ {key}.", "The journal has no dossier {key}."),
        "journal.bad_transition": (
            "Hồ sơ {key} đang ở trạng thái {state}, không thể chuyển sang {target}.",
            "Dossier {key} is {state}; it cannot become {target}.",
        ),
    }
)

SCHEMA_VERSION = 1
MAX_ERROR = 300


class EntryState(StrEnum):
    SIGNED = "SIGNED"
    SUBMITTED = "SUBMITTED"
    FINAL = "FINAL"
    REFUSED = "REFUSED"


@dataclass(frozen=True)
class JournalEntry:
    key: str
    ma_dvi: str
    cert_serial: str
    created_at: datetime
    signed_xml: bytes
    sha256: str
    state: EntryState
    ma_gdich: str | None
    so_hso: str | None
    status: TxStatus | None
    ma_loi: str | None
    mota_loi: str | None
    attempts: int
    last_error: str | None
    updated_at: datetime

    @property
    def unfinished(self) -> bool:
        return self.state in (EntryState.SIGNED, EntryState.SUBMITTED)


_COLUMNS = (
    "key, ma_dvi, cert_serial, created_at, signed_xml, sha256, state, ma_gdich, so_hso, status, ma_loi, "
    "mota_loi, attempts, last_error, updated_at"
)
_ORDER = {TxStatus.SENT: 0, TxStatus.RECEIVED: 1, TxStatus.ACCEPTED: 2, TxStatus.REJECTED: 2}


def utc_now() -> datetime:
    return datetime.now(UTC)


class Journal:
    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise UserError("journal.unreadable", path=path, problem=_problem(exc)) from None

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"written by a newer version (schema {version})")
        if version < 1:
            self._db.executescript(
                """
                BEGIN IMMEDIATE;
                CREATE TABLE IF NOT EXISTS entries (
                    key TEXT PRIMARY KEY,
                    ma_dvi TEXT NOT NULL,
                    cert_serial TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    signed_xml BLOB NOT NULL,
                    sha256 TEXT NOT NULL,
                    state TEXT NOT NULL,
                    ma_gdich TEXT,
                    so_hso TEXT,
                    status TEXT,
                    ma_loi TEXT,
                    mota_loi TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    updated_at TEXT NOT NULL
                );
                CREATE INDEX IF NOT EXISTS entries_unit ON entries (ma_dvi, state);
                CREATE UNIQUE INDEX IF NOT EXISTS entries_gdich ON entries (ma_gdich) WHERE ma_gdich IS NOT NULL;
                PRAGMA user_version = 1;
                COMMIT;
                """
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------------------
    def _select(self, where: str, params: tuple[object, ...]) -> list[JournalEntry]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM entries {where}", params).fetchall()
        return [_entry(r) for r in rows]

    def get(self, key: str) -> JournalEntry | None:
        found = self._select("WHERE key = ?", (key,))
        return found[0] if found else None

    def by_ma_gdich(self, ma_gdich: str) -> JournalEntry | None:
        found = self._select("WHERE ma_gdich = ?", (ma_gdich,))
        return found[0] if found else None

    def unfinished(self, ma_dvi: str | None = None) -> list[JournalEntry]:
        """What a start must re-send (same key) or reconcile, oldest first."""
        states = (EntryState.SIGNED.value, EntryState.SUBMITTED.value)
        if ma_dvi is None:
            return self._select("WHERE state IN (?, ?) ORDER BY created_at, rowid", states)
        return self._select("WHERE state IN (?, ?) AND ma_dvi = ? ORDER BY created_at, rowid", (*states, ma_dvi))

    def pending_for_unit(self, ma_dvi: str) -> bool:
        return bool(self.unfinished(ma_dvi))

    def entries(self, ma_dvi: str | None = None, limit: int = 100) -> list[JournalEntry]:
        if ma_dvi is None:
            return self._select("ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,))
        return self._select("WHERE ma_dvi = ? ORDER BY created_at DESC, rowid DESC LIMIT ?", (ma_dvi, limit))

    # -- writing (each call is one durable transaction) ---------------------------------------------------
    def _write(self, sql: str, params: tuple[object, ...]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(sql, params)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def record_signed(self, key: str, ma_dvi: str, cert_serial: str, signed_xml: bytes) -> JournalEntry:
        """Commit a signed dossier durably; returns only once it is on disk."""
        digest = hashlib.sha256(signed_xml).hexdigest().upper()
        existing = self.get(key)
        if existing is not None:
            if existing.sha256 != digest:
                raise UserError("journal.key_conflict", key=key)
            return existing
        now = self.clock().isoformat()
        try:
            self._write(
                f"INSERT INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, 0, "
                "NULL, ?)",
                (key, ma_dvi, cert_serial, now, signed_xml, digest, EntryState.SIGNED.value, now),
            )
        except sqlite3.IntegrityError:  # another process recorded the same key meanwhile
            return self.record_signed(key, ma_dvi, cert_serial, signed_xml)
        entry = self.get(key)
        assert entry is not None
        return entry

    def _require(self, key: str) -> JournalEntry:
        entry = self.get(key)
        if entry is None:
            raise UserError("journal.unknown", key=key)
        return entry

    def note_attempt(self, key: str, error: str | None) -> None:
        self._require(key)
        text = None if error is None else error[:MAX_ERROR]
        self._write(
            "UPDATE entries SET attempts = attempts + 1, last_error = ?, updated_at = ? WHERE key = ?",
            (text, self.clock().isoformat(), key),
        )

    def mark_submitted(self, key: str, tx: Transaction) -> None:
        entry = self._require(key)
        if entry.state is EntryState.REFUSED:
            raise UserError("journal.bad_transition", key=key, state=entry.state, target=EntryState.SUBMITTED)
        if entry.state is EntryState.SIGNED:
            self._write(
                "UPDATE entries SET state = ?, ma_gdich = ?, so_hso = ?, attempts = attempts + 1, last_error = NULL,"
                " updated_at = ? WHERE key = ?",
                (EntryState.SUBMITTED.value, tx.ma_gdich, tx.so_hso, self.clock().isoformat(), key),
            )
        self.update_status(key, tx)

    def update_status(self, key: str, tx: Transaction) -> None:
        """Record the latest status; never moves backwards (a late update of an older status is ignored)."""
        entry = self._require(key)
        if entry.state in (EntryState.SIGNED, EntryState.REFUSED):
            raise UserError("journal.bad_transition", key=key, state=entry.state, target=tx.status)
        if entry.status is not None and _ORDER[tx.status] < _ORDER[entry.status]:
            return
        if entry.state is EntryState.FINAL:
            return
        state = EntryState.FINAL if tx.status.final else EntryState.SUBMITTED
        self._write(
            "UPDATE entries SET state = ?, status = ?, ma_loi = ?, mota_loi = ?, updated_at = ? WHERE key = ?",
            (state.value, tx.status.value, tx.ma_loi, tx.mota_loi, self.clock().isoformat(), key),
        )

    def mark_refused(self, key: str, code: str, message: str) -> None:
        entry = self._require(key)
        if entry.state is not EntryState.SIGNED:
            raise UserError("journal.bad_transition", key=key, state=entry.state, target=EntryState.REFUSED)
        self._write(
            "UPDATE entries SET state = ?, ma_loi = ?, mota_loi = ?, attempts = attempts + 1, updated_at = ? "
            "WHERE key = ?",
            (EntryState.REFUSED.value, code[:50], message[:MAX_ERROR], self.clock().isoformat(), key),
        )


def _entry(row: tuple[object, ...]) -> JournalEntry:
    (
        key,
        ma_dvi,
        serial,
        created,
        xml,
        sha,
        state,
        gdich,
        so_hso,
        status,
        ma_loi,
        mota,
        attempts,
        err,
        upd,
    ) = row
    return JournalEntry(
        key=str(key),
        ma_dvi=str(ma_dvi),
        cert_serial=str(serial),
        created_at=datetime.fromisoformat(str(created)),
        signed_xml=bytes(xml),  # type: ignore[call-overload]
        sha256=str(sha),
        state=EntryState(str(state)),
        ma_gdich=None if gdich is None else str(gdich),
        so_hso=None if so_hso is None else str(so_hso),
        status=None if status is None else TxStatus(str(status)),
        ma_loi=None if ma_loi is None else str(ma_loi),
        mota_loi=None if mota is None else str(mota),
        attempts=int(attempts),  # type: ignore[call-overload]
        last_error=None if err is None else str(err),
        updated_at=datetime.fromisoformat(str(upd)),
    )


def _problem(exc: BaseException) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__
