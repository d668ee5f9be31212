"""The local outbox: every signed dossier is committed here (SQLite, WAL, synchronous=FULL) before it is sent.

One row per intent, keyed by the dossier's idempotency key (MA_YEUCAU). States only move forward:

    SIGNED ──► SUBMITTED ──► FINAL          (the I-VAN took it; BHXH answered ACCEPTED or REJECTED)
       ├─────► REFUSED                       (the I-VAN refused it at once: 4xx; never re-sent automatically)
       └─────► DISCARDED                     (the user dropped it before the I-VAN ever acknowledged it)
    HANDED_OVER                              (signed and written to a file for the user to upload; never sent)

A transaction is identified by the issuing I-VAN's ``ivan_id`` and its ``ma_gdich`` (a reset or replaced I-VAN
reissues codes). A unit has at most one unfinished dossier per I-VAN: the check and the insert are one
``BEGIN IMMEDIATE`` transaction, so parallel processes cannot both record one; ``claim()`` additionally keeps
other processes from even signing while one holds the unit's dossier in hand.

The signed XML is stored as the exact bytes that were signed and is never re-serialised. No PIN, no
free-form blobs: only the XML, identifiers, statuses and short error texts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType

from tui_ibhxh.core.i18n import fmt_datetime
from tui_ibhxh.core.models import Transaction, TxRef, TxStatus
from tui_ibhxh.services.errors import UserError

SCHEMA_VERSION = 3
MAX_ERROR = 2000  # characters of a kept error (services.errors.kept: a key and its parameters)
UNKNOWN_IVAN = "?"  # ivan_id of an entry whose I-VAN is not the one it was thought to be

log = logging.getLogger(__name__)


class EntryState(StrEnum):
    SIGNED = "SIGNED"
    SUBMITTED = "SUBMITTED"
    FINAL = "FINAL"
    REFUSED = "REFUSED"
    DISCARDED = "DISCARDED"
    HANDED_OVER = "HANDED_OVER"


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
    ivan_id: str = ""  # the I-VAN it is meant for / was acknowledged by ("" when unknown)
    replaces_serial: str = ""  # the registered certificate the dossier replaces
    file_path: str | None = None  # HANDED_OVER: the file it was written to

    @property
    def unfinished(self) -> bool:
        return self.state in (EntryState.SIGNED, EntryState.SUBMITTED)


class DossierPending(UserError):
    """Raised instead of recording a second unfinished dossier for a unit: the one there is comes with it."""

    def __init__(self, entry: JournalEntry) -> None:
        message = "journal.pending" if entry.state is EntryState.SIGNED else "journal.in_progress"
        signed_at = fmt_datetime(entry.created_at)
        super().__init__(message, key=entry.key, ma_gdich=entry.ma_gdich or "", signed_at=signed_at)
        self.entry = entry


_COLUMNS = (
    "key, ma_dvi, cert_serial, created_at, signed_xml, sha256, state, ma_gdich, so_hso, status, ma_loi, "
    "mota_loi, attempts, last_error, updated_at, ivan_id, replaces_serial, file_path"
)
_UNFINISHED = (EntryState.SIGNED.value, EntryState.SUBMITTED.value)

_MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE IF NOT EXISTS entries (
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
            )""",
            "CREATE INDEX IF NOT EXISTS entries_unit ON entries (ma_dvi, state)",
            "CREATE UNIQUE INDEX IF NOT EXISTS entries_gdich ON entries (ma_gdich) WHERE ma_gdich IS NOT NULL",
        ),
    ),
    (
        2,  # transactions are keyed by the issuing I-VAN and their code: a reset I-VAN reissues codes
        (
            "ALTER TABLE entries ADD COLUMN ivan_id TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE entries ADD COLUMN replaces_serial TEXT NOT NULL DEFAULT ''",
            "DROP INDEX IF EXISTS entries_gdich",
            "CREATE UNIQUE INDEX IF NOT EXISTS entries_ivan_gdich ON entries (ivan_id, ma_gdich) "
            "WHERE ma_gdich IS NOT NULL",
        ),
    ),
    (3, ("ALTER TABLE entries ADD COLUMN file_path TEXT",)),  # dossiers handed over as a file
)


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
            log.warning("journal %s cannot be opened: %s", path, _problem(exc))  # the detail; the user gets words
            raise UserError("journal.unreadable", path=path) from None

    def _migrate(self) -> None:
        """Bring the file to this schema; the version is re-read under the write lock, so two processes opening
        an old journal at once migrate it once."""
        if int(self._db.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"written by a newer version (schema {version})")
            for target, statements in _MIGRATIONS:
                if version < target:
                    for sql in statements:
                        self._db.execute(sql)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

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

    def by_ref(self, ref: TxRef) -> JournalEntry | None:
        """Our dossier behind a transaction of one I-VAN (never one with the same code at another I-VAN)."""
        found = self._select("WHERE ivan_id = ? AND ma_gdich = ?", (ref.ivan_id, ref.ma_gdich))
        return found[0] if found else None

    def unfinished(self, ma_dvi: str | None = None, ivan_id: str | None = None) -> list[JournalEntry]:
        """What a start must re-send (same key) or reconcile, oldest first; with ``ivan_id``, only what belongs to
        that I-VAN (or was signed before the I-VAN said who it is)."""
        where, params = _unfinished_where(ma_dvi, ivan_id)
        return self._select(f"{where} ORDER BY created_at, rowid", params)

    def pending_for_unit(self, ma_dvi: str, ivan_id: str | None = None) -> bool:
        return bool(self.unfinished(ma_dvi, ivan_id))

    def accepted_replacements(self, ma_dvi: str) -> dict[str, str]:
        """For each certificate a change of ours got registered: the one it replaced (serial → serial)."""
        rows = self._locked_rows(
            "SELECT cert_serial, replaces_serial FROM entries WHERE ma_dvi = ? AND state = ? AND status = ? "
            "AND replaces_serial != '' ORDER BY updated_at, rowid",
            (ma_dvi, EntryState.FINAL.value, TxStatus.ACCEPTED.value),
        )
        return {str(new): str(old) for new, old in rows}

    def _locked_rows(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    @contextlib.contextmanager
    def claim(self, ma_dvi: str) -> Iterator[None]:
        """Hold the unit's dossier in hand (sign → record → send) alone: another process (the app or a command)
        that tries meanwhile is told at once instead of signing a second dossier. Released on exit, and by the
        system if the process dies."""
        lock_dir = self.path.parent / "locks"
        lock_dir.mkdir(mode=0o700, exist_ok=True)
        name = hashlib.sha256(ma_dvi.encode("utf-8")).hexdigest()[:16]
        fd = os.open(lock_dir / f"unit-{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UserError("journal.busy", ma_dvi=ma_dvi) from None
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

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

    def record_signed(
        self,
        key: str,
        ma_dvi: str,
        cert_serial: str,
        signed_xml: bytes,
        *,
        ivan_id: str = "",
        replaces_serial: str = "",
        state: EntryState = EntryState.SIGNED,
        file_path: str | None = None,
    ) -> JournalEntry:
        """Commit a signed dossier durably; returns only once it is on disk. Raises :class:`DossierPending` when
        the unit already has an unfinished dossier at this I-VAN: the check and the insert hold the write lock
        together (``BEGIN IMMEDIATE``), so of two processes only one records."""
        digest = hashlib.sha256(signed_xml).hexdigest().upper()
        now = self.clock().isoformat()
        where, params = _unfinished_where(ma_dvi, ivan_id)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(f"SELECT {_COLUMNS} FROM entries WHERE key = ?", (key,)).fetchone()
                if row is not None:
                    existing = _entry(row)
                    if existing.sha256 != digest:
                        raise UserError("journal.key_conflict", key=key)
                    self._db.execute("ROLLBACK")
                    return existing
                other = self._db.execute(f"SELECT {_COLUMNS} FROM entries {where} LIMIT 1", params).fetchone()
                if other is not None:
                    raise DossierPending(_entry(other))
                self._db.execute(
                    f"INSERT INTO entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, 0, "
                    "NULL, ?, ?, ?, ?)",
                    (
                        key,
                        ma_dvi,
                        cert_serial,
                        now,
                        signed_xml,
                        digest,
                        state.value,
                        now,
                        ivan_id,
                        replaces_serial,
                        file_path,
                    ),
                )
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
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
        if entry.state in (EntryState.DISCARDED, EntryState.HANDED_OVER):
            raise UserError("journal.bad_transition", key=key, state=entry.state, target=EntryState.SUBMITTED)
        if entry.state is EntryState.SIGNED:
            self._write(
                "UPDATE entries SET state = ?, ma_gdich = ?, so_hso = ?, ivan_id = ?, attempts = attempts + 1, "
                "last_error = NULL, updated_at = ? WHERE key = ?",
                (EntryState.SUBMITTED.value, tx.ma_gdich, tx.so_hso, tx.ivan_id, self.clock().isoformat(), key),
            )
        self.update_status(key, tx)

    def update_status(self, key: str, tx: Transaction) -> None:
        """Record the latest status; never moves backwards (a late update of an older status is ignored)."""
        entry = self._require(key)
        if entry.state in (EntryState.SIGNED, EntryState.REFUSED, EntryState.DISCARDED, EntryState.HANDED_OVER):
            raise UserError("journal.bad_transition", key=key, state=entry.state, target=tx.status)
        if entry.status is not None and tx.status.order < entry.status.order:
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

    def detach(self, key: str) -> None:
        """The transaction of this entry is not at the I-VAN it was thought to be (a legacy entry without an I-VAN
        id, a reset I-VAN): mark its I-VAN unknown, so it neither blocks nor matches anything at the current one."""
        self._write(
            "UPDATE entries SET ivan_id = ?, updated_at = ? WHERE key = ?",
            (UNKNOWN_IVAN, self.clock().isoformat(), key),
        )

    def discard(self, key: str) -> JournalEntry:
        """Drop a dossier the I-VAN never acknowledged (the user's choice); the signed bytes stay in the file."""
        entry = self._require(key)
        if entry.state is not EntryState.SIGNED:
            raise UserError("journal.bad_transition", key=key, state=entry.state, target=EntryState.DISCARDED)
        self._write(
            "UPDATE entries SET state = ?, updated_at = ? WHERE key = ? AND state = ?",
            (EntryState.DISCARDED.value, self.clock().isoformat(), key, EntryState.SIGNED.value),
        )
        return self._require(key)


def _unfinished_where(ma_dvi: str | None, ivan_id: str | None) -> tuple[str, tuple[object, ...]]:
    where = "WHERE state IN (?, ?)"
    params: tuple[object, ...] = _UNFINISHED
    if ma_dvi is not None:
        where += " AND ma_dvi = ?"
        params += (ma_dvi,)
    if ivan_id is not None:
        where += " AND ivan_id IN (?, '')"
        params += (ivan_id,)
    return where, params


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
        ivan_id,
        replaces,
        file_path,
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
        ivan_id=str(ivan_id),
        replaces_serial=str(replaces),
        file_path=None if file_path is None else str(file_path),
    )


def _problem(exc: BaseException) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__
