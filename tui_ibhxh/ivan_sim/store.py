"""The simulator's SQLite store (WAL, synchronous=FULL).

One connection, guarded by a lock; the async side runs every call on one dedicated thread
(:meth:`Store.run`), so a handler cancelled mid-call still lets the SQLite transaction finish or roll
back as a whole. Writes that must be atomic (submission with its idempotency key, a status change with
its timeline entry and event) run inside ``BEGIN IMMEDIATE`` ... ``COMMIT``.

All times are stored as epoch seconds (REAL).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, partial
from pathlib import Path
from typing import Any, TypeVar

from tui_ibhxh.core.i18n import VN_TZ
from tui_ibhxh.core.models import Contact, TimelineEntry, Transaction, TxStatus, Unit
from tui_ibhxh.ivan_sim.views import LOAI_GDICH, from_epoch, transaction_json

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    ma_dvi TEXT PRIMARY KEY,
    mst TEXT NOT NULL,
    ten_dvi TEXT NOT NULL,
    diadiem TEXT NOT NULL,
    co_quan_bhxh TEXT NOT NULL,
    diachi_lhe TEXT NOT NULL,
    dien_thoai TEXT NOT NULL,
    email TEXT NOT NULL,
    nguoi_lhe TEXT NOT NULL,
    cert_der BLOB NOT NULL,
    updated_at REAL NOT NULL,
    version INTEGER NOT NULL,
    ma_co_quan_bhxh TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS challenges (
    challenge TEXT PRIMARY KEY,
    ma_dvi TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    token_sha256 TEXT PRIMARY KEY,
    ma_dvi TEXT NOT NULL,
    cert_sha256 TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ma_gdich TEXT NOT NULL UNIQUE,
    so_hso TEXT NOT NULL,
    ma_dvi TEXT NOT NULL REFERENCES units(ma_dvi),
    idempotency_key TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    dossier BLOB NOT NULL,
    signer_der BLOB NOT NULL,
    submitted_at REAL NOT NULL,
    status TEXT NOT NULL,
    status_at REAL NOT NULL,
    ma_loi TEXT,
    mota_loi TEXT,
    next_due REAL,
    receipt BLOB,
    worker INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS transactions_unit ON transactions (ma_dvi, seq);
CREATE INDEX IF NOT EXISTS transactions_due ON transactions (next_due) WHERE next_due IS NOT NULL;
CREATE TABLE IF NOT EXISTS timeline (
    ma_gdich TEXT NOT NULL REFERENCES transactions(ma_gdich),
    status TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (ma_gdich, status)
);
CREATE TABLE IF NOT EXISTS idempotency (
    ma_dvi TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    ma_gdich TEXT NOT NULL REFERENCES transactions(ma_gdich),
    created_at REAL NOT NULL,
    PRIMARY KEY (ma_dvi, idem_key)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ma_dvi TEXT NOT NULL,
    ma_gdich TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_unit ON events (ma_dvi, id);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class UnitRecord:
    unit: Unit
    contact: Contact
    cert_der: bytes
    updated_at: float
    version: int


@dataclass(frozen=True)
class TxRecord:
    tx: Transaction
    seq: int
    body_sha256: str
    dossier: bytes
    signer_der: bytes
    next_due: float | None

    @cached_property
    def json(self) -> str:
        """The transaction as the protocol's JSON text, made once: for its event, and again for the answer to the
        request that made it (on the event loop, where it cost most)."""
        return json.dumps(transaction_json(self.tx), ensure_ascii=False)


@dataclass(frozen=True)
class NewSubmission:
    ma_dvi: str
    idempotency_key: str
    body_sha256: str
    dossier: bytes
    signer_der: bytes
    worker: int = 0  # the process that accepted it moves it along (``--workers``; see ``due``)


@dataclass(frozen=True)
class TxPage:
    records: list[TxRecord]
    next_seq: int | None
    last_event_id: int


class SubmitOutcome(StrEnum):
    CREATED = "created"
    EXISTING = "existing"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Advance:
    """One forward move of a transaction's status (applied only when it is still ``from_status``)."""

    ma_gdich: str
    from_status: TxStatus
    to_status: TxStatus
    at: float
    next_due: float | None
    ma_loi: str | None = None
    mota_loi: str | None = None
    receipt: bytes | None = None
    new_registration: tuple[bytes, Contact] | None = None  # on ACCEPTED: certificate + contact


SubmitResult = tuple[SubmitOutcome, TxRecord] | Exception
StepsResult = list[TxRecord | None] | Exception


@dataclass(frozen=True)
class Writes:
    """What one commit carries: new submissions (each with its time and first due time) and groups of lifecycle
    steps (each group applied together, its results in order)."""

    submissions: Sequence[tuple[NewSubmission, float, float]] = ()
    advances: Sequence[Sequence[Advance]] = ()


@dataclass(frozen=True)
class Written:
    """The outcome of each of a commit's ``Writes``, in their order: a result, or the error of that one alone."""

    submitted: list[SubmitResult]
    advanced: list[StepsResult] = field(default_factory=list)


_TX_COLUMNS = (
    "seq, ma_gdich, so_hso, ma_dvi, idempotency_key, body_sha256, dossier, signer_der, submitted_at, "
    "status, status_at, ma_loi, mota_loi, next_due"
)


class _BatchFailed(Exception):
    """A submission of a group commit failed: the batch is made again, with a savepoint for each."""


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._lock_file = (path.parent / f"{path.name}.writer-lock").open("ab")
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        columns = {str(r[1]) for r in self._db.execute("PRAGMA table_info(units)")}
        if "ma_co_quan_bhxh" not in columns:  # a database of an earlier simulator
            self._db.execute("ALTER TABLE units ADD COLUMN ma_co_quan_bhxh TEXT NOT NULL DEFAULT ''")
        if "worker" not in {str(r[1]) for r in self._db.execute("PRAGMA table_info(transactions)")}:
            self._db.execute("ALTER TABLE transactions ADD COLUMN worker INTEGER NOT NULL DEFAULT 0")
        self.ivan_id = self._ivan_id()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ivan-sim-db")

    def _ivan_id(self) -> str:
        """This database's stable identity (protocol §5): made once, when the database is created, so a reset
        simulator (a new database) never reissues the identity of an old one's transactions."""
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('ivan_id', ?)", (f"SIM-{uuid.uuid4().hex[:16].upper()}",))
            return str(db.execute("SELECT value FROM meta WHERE name = 'ivan_id'").fetchone()[0])

    # -- plumbing ---------------------------------------------------------------------------------
    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the store's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            self._db.close()
            self._lock_file.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._writers():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _writers(self) -> Iterator[None]:
        """The writers of all processes on this database (``--workers``) queue on an advisory lock: each starts
        the moment the previous one commits, where SQLite's busy handler would poll with sleeps of up to 100 ms
        (BEGIN IMMEDIATE still guards the data itself). The kernel releases it when a process dies."""
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- units ------------------------------------------------------------------------------------
    def seed_unit(self, unit: Unit, contact: Contact, cert_der: bytes, now: float) -> bool:
        """Register ``unit`` unless it is on record already (then nothing changes). True when added."""
        with self._write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO units VALUES (?,?,?,?,?,?,?,?,?,?,?,1,?)",
                (
                    unit.ma_dvi,
                    unit.mst,
                    unit.ten_dvi,
                    unit.diadiem,
                    unit.co_quan_bhxh,
                    contact.diachi_lhe,
                    contact.dien_thoai,
                    contact.email,
                    contact.nguoi_lhe,
                    cert_der,
                    now,
                    unit.ma_co_quan_bhxh,
                ),
            )
            return cur.rowcount == 1

    def get_unit(self, ma_dvi: str) -> UnitRecord | None:
        rows = self._read("SELECT * FROM units WHERE ma_dvi = ?", (ma_dvi,))
        if not rows:
            return None
        r = rows[0]
        return UnitRecord(
            unit=Unit(ma_dvi=r[0], mst=r[1], ten_dvi=r[2], diadiem=r[3], co_quan_bhxh=r[4], ma_co_quan_bhxh=r[12]),
            contact=Contact(diachi_lhe=r[5], dien_thoai=r[6], email=r[7], nguoi_lhe=r[8]),
            cert_der=bytes(r[9]),
            updated_at=float(r[10]),
            version=int(r[11]),
        )

    # -- auth -------------------------------------------------------------------------------------
    def add_challenge(self, challenge: str, ma_dvi: str, expires_at: float, now: float) -> None:
        with self._write() as db:
            db.execute("DELETE FROM challenges WHERE expires_at <= ?", (now,))  # dead: keep the table small
            db.execute("INSERT INTO challenges VALUES (?,?,?,0)", (challenge, ma_dvi, expires_at))

    def consume_challenge(self, challenge: str, ma_dvi: str, now: float) -> bool:
        """Mark a live, unused challenge of ``ma_dvi`` used. False when there is none."""
        with self._write() as db:
            cur = db.execute(
                "UPDATE challenges SET used = 1 WHERE challenge = ? AND ma_dvi = ? AND used = 0 AND expires_at > ?",
                (challenge, ma_dvi, now),
            )
            return cur.rowcount == 1

    def add_token(self, token_sha256: str, ma_dvi: str, cert_sha256: str, expires_at: float, now: float) -> None:
        with self._write() as db:
            db.execute("DELETE FROM tokens WHERE expires_at < ?", (now,))
            db.execute("INSERT INTO tokens VALUES (?,?,?,?)", (token_sha256, ma_dvi, cert_sha256, expires_at))

    def token_grant(self, token_sha256: str, now: float) -> tuple[str, float] | None:
        """The unit and expiry time of a live token, or None."""
        rows = self._read(
            "SELECT ma_dvi, expires_at FROM tokens WHERE token_sha256 = ? AND expires_at > ?", (token_sha256, now)
        )
        return (str(rows[0][0]), float(rows[0][1])) if rows else None

    # -- transactions -----------------------------------------------------------------------------
    def _records(self, rows: Sequence[tuple[Any, ...]]) -> list[TxRecord]:
        """Rows of ``_TX_COLUMNS`` as records, their timelines read in one query (a page or the due transactions
        are at most a few hundred: within SQLite's limit on bound parameters)."""
        if not rows:
            return []
        timelines: dict[str, list[TimelineEntry]] = {r[1]: [] for r in rows}
        marks = ",".join("?" * len(timelines))
        for ma_gdich, status, at in self._db.execute(
            f"SELECT ma_gdich, status, at FROM timeline WHERE ma_gdich IN ({marks}) ORDER BY at, rowid", list(timelines)
        ):
            timelines[ma_gdich].append(TimelineEntry(TxStatus(status), from_epoch(at)))
        return [self._record(r, tuple(timelines[r[1]])) for r in rows]

    def _record(self, r: tuple[Any, ...], timeline: tuple[TimelineEntry, ...]) -> TxRecord:
        tx = Transaction(
            ma_gdich=r[1],
            so_hso=r[2],
            ma_dvi=r[3],
            loai=LOAI_GDICH,
            idempotency_key=r[4],
            submitted_at=from_epoch(r[8]),
            status=TxStatus(r[9]),
            status_at=from_epoch(r[10]),
            ma_loi=r[11],
            mota_loi=r[12],
            timeline=timeline,
            ivan_id=self.ivan_id,
        )
        return TxRecord(
            tx=tx,
            seq=int(r[0]),
            body_sha256=r[5],
            dossier=bytes(r[6]),
            signer_der=bytes(r[7]),
            next_due=None if r[13] is None else float(r[13]),
        )

    def _get(self, ma_gdich: str) -> TxRecord | None:
        row = self._db.execute(f"SELECT {_TX_COLUMNS} FROM transactions WHERE ma_gdich = ?", (ma_gdich,)).fetchone()
        return None if row is None else self._records([row])[0]

    def get_transaction(self, ma_gdich: str) -> TxRecord | None:
        with self._lock:
            return self._get(ma_gdich)

    def find_idempotent(self, ma_dvi: str, key: str) -> tuple[str, str] | None:
        """(body_sha256, ma_gdich) already recorded for this key of this unit."""
        rows = self._read(
            "SELECT body_sha256, ma_gdich FROM idempotency WHERE ma_dvi = ? AND idem_key = ?", (ma_dvi, key)
        )
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def submit(self, new: NewSubmission, now: float, first_due: float) -> tuple[SubmitOutcome, TxRecord]:
        """Check the idempotency key and insert the transaction (status SENT) in one transaction."""
        [result] = self.submit_many([(new, now, first_due)])
        if isinstance(result, BaseException):
            raise result
        return result

    def submit_many(
        self, items: Sequence[tuple[NewSubmission, float, float]]
    ) -> list[tuple[SubmitOutcome, TxRecord] | Exception]:
        """Group commit: each submission checked and inserted, all of them made durable by one COMMIT (one fsync
        for the lot). A submission that fails is rolled back alone and its error returned in its place."""
        return self.write_many(lambda: Writes(submissions=items)).submitted

    def write_many(self, take: Callable[[], Writes]) -> Written:
        """One durable commit of whatever ``take()`` hands over, called once this process holds the write lock:
        what arrived while it waited for the other processes' commits rides on this one. Each submission and each
        group of lifecycle steps that fails is rolled back alone and its error returned in its place: when one
        fails, the batch is rolled back and made again with a savepoint for each (two statements more each, every
        time, for what seldom happens)."""
        writes: Writes | None = None
        try:
            with self._write() as db:
                writes = take()
                return self._write_all(db, writes, savepoints=False)
        except _BatchFailed:
            pass
        assert writes is not None
        with self._write() as db:
            return self._write_all(db, writes, savepoints=True)

    def _write_all(self, db: sqlite3.Connection, writes: Writes, *, savepoints: bool) -> Written:
        done = Written(self._submit_all(db, writes.submissions, savepoints=savepoints))
        for steps in writes.advances:
            if savepoints:
                db.execute("SAVEPOINT one")
            try:
                applied = [self._advance_one(db, step) for step in steps]
            except Exception as exc:
                if not savepoints:
                    raise _BatchFailed from exc
                db.execute("ROLLBACK TO one")
                done.advanced.append(exc)
            else:
                done.advanced.append(applied)
            if savepoints:
                db.execute("RELEASE one")
        return done

    def _submit_all(
        self, db: sqlite3.Connection, items: Sequence[tuple[NewSubmission, float, float]], *, savepoints: bool
    ) -> list[tuple[SubmitOutcome, TxRecord] | Exception]:
        if not items:
            return []
        seq = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM transactions").fetchone()[0])  # once a batch
        results: list[tuple[SubmitOutcome, TxRecord] | Exception] = []
        for new, now, first_due in items:
            if savepoints:
                db.execute("SAVEPOINT one")
            try:
                done = self._submit_one(db, new, now, first_due, seq + 1)
            except Exception as exc:
                if not savepoints:
                    raise _BatchFailed from exc
                db.execute("ROLLBACK TO one")
                results.append(exc)  # this one only: the others still commit
            else:
                seq += done[0] is SubmitOutcome.CREATED
                results.append(done)
            if savepoints:
                db.execute("RELEASE one")
        return results

    def _submit_one(
        self, db: sqlite3.Connection, new: NewSubmission, now: float, first_due: float, seq: int
    ) -> tuple[SubmitOutcome, TxRecord]:
        row = db.execute(
            "SELECT body_sha256, ma_gdich FROM idempotency WHERE ma_dvi = ? AND idem_key = ?",
            (new.ma_dvi, new.idempotency_key),
        ).fetchone()
        if row is not None:
            existing = self._get(row[1])
            assert existing is not None
            outcome = SubmitOutcome.EXISTING if row[0] == new.body_sha256 else SubmitOutcome.CONFLICT
            return outcome, existing
        day = from_epoch(now).astimezone(VN_TZ)
        ma_gdich = f"GD{day:%Y%m%d}{seq:07d}"
        so_hso = f"{new.ma_dvi}/{day:%Y}/{seq:06d}"
        row = (
            seq,
            ma_gdich,
            so_hso,
            new.ma_dvi,
            new.idempotency_key,
            new.body_sha256,
            new.dossier,
            new.signer_der,
            now,
            TxStatus.SENT.value,
            now,
            None,
            None,
            first_due,
        )
        db.execute(
            f"INSERT INTO transactions ({_TX_COLUMNS}, receipt, worker) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL,?)",
            (*row, new.worker),
        )
        db.execute("INSERT INTO timeline VALUES (?,?,?)", (ma_gdich, TxStatus.SENT.value, now))
        db.execute(
            "INSERT INTO idempotency VALUES (?,?,?,?,?)",
            (new.ma_dvi, new.idempotency_key, new.body_sha256, ma_gdich, now),
        )
        # the record as inserted (reading it back cost two queries)
        record = self._record(row, (TimelineEntry(TxStatus.SENT, from_epoch(now)),))
        self._add_event(record, now)
        return SubmitOutcome.CREATED, record

    def _add_event(self, record: TxRecord, now: float) -> None:
        self._db.execute(
            "INSERT INTO events (ma_dvi, ma_gdich, data, created_at) VALUES (?,?,?,?)",
            (record.tx.ma_dvi, record.tx.ma_gdich, record.json, now),
        )

    def list_transactions(self, ma_dvi: str, limit: int, before_seq: int | None) -> TxPage:
        """Newest first, with the cursor of the next page (None on the last page) and the id of the unit's last
        event the page reflects (read in the same snapshot: a stream opened from it misses nothing)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                rows = self._db.execute(
                    f"SELECT {_TX_COLUMNS} FROM transactions WHERE ma_dvi = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                    (ma_dvi, before_seq if before_seq is not None else 2**62, limit + 1),
                ).fetchall()
                records = self._records(rows[:limit])
                last_event = self._db.execute(
                    "SELECT COALESCE(MAX(id), 0) FROM events WHERE ma_dvi = ?", (ma_dvi,)
                ).fetchone()[0]
            finally:
                self._db.execute("COMMIT")
        nxt = records[-1].seq if len(rows) > limit else None
        return TxPage(records, nxt, int(last_event))

    def due(self, now: float, limit: int = 100, part: tuple[int, int] = (0, 1)) -> list[TxRecord]:
        """Transactions due at ``now`` of the process ``part[0]`` of ``part[1]`` (``--workers``): those it accepted
        (its own verified forms are at hand, its own submissions wake it), or, after a restart with fewer processes,
        ``worker % count``."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_TX_COLUMNS} FROM transactions WHERE next_due IS NOT NULL AND next_due <= ? "
                "AND worker % ? = ? ORDER BY next_due LIMIT ?",
                (now, part[1], part[0], limit),
            ).fetchall()
            return self._records(rows)

    def next_due(self, part: tuple[int, int] = (0, 1)) -> float | None:
        rows = self._read(
            "SELECT MIN(next_due) FROM transactions WHERE next_due IS NOT NULL AND worker % ? = ?",
            (part[1], part[0]),
        )
        return None if not rows or rows[0][0] is None else float(rows[0][0])

    def advance(self, step: Advance) -> TxRecord | None:
        """Apply ``step`` atomically (status, timeline, event, receipt, registration). None when the
        transaction is no longer in ``step.from_status`` (someone else moved it)."""
        [record] = self.advance_many([step])
        return record

    def advance_many(self, steps: Sequence[Advance]) -> list[TxRecord | None]:
        """Several steps in one durable commit (the lifecycle applies whatever is due together)."""
        [applied] = self.write_many(lambda: Writes(advances=[steps])).advanced
        if isinstance(applied, Exception):
            raise applied
        return applied

    def _advance_one(self, db: sqlite3.Connection, step: Advance) -> TxRecord | None:
        rows = db.execute(
            "UPDATE transactions SET status = ?, status_at = ?, next_due = ?, ma_loi = ?, mota_loi = ?, "
            f"receipt = COALESCE(?, receipt) WHERE ma_gdich = ? AND status = ? RETURNING {_TX_COLUMNS}",
            (
                step.to_status.value,
                step.at,
                step.next_due,
                step.ma_loi,
                step.mota_loi,
                step.receipt,
                step.ma_gdich,
                step.from_status.value,
            ),
        ).fetchall()
        if not rows:
            return None
        db.execute("INSERT INTO timeline VALUES (?,?,?)", (step.ma_gdich, step.to_status.value, step.at))
        [record] = self._records(rows)
        if step.new_registration is not None:
            cert_der, c = step.new_registration
            db.execute(
                "UPDATE units SET cert_der = ?, diachi_lhe = ?, dien_thoai = ?, email = ?, "
                "nguoi_lhe = ?, updated_at = ?, version = version + 1 WHERE ma_dvi = ?",
                (cert_der, c.diachi_lhe, c.dien_thoai, c.email, c.nguoi_lhe, step.at, record.tx.ma_dvi),
            )
        self._add_event(record, step.at)
        return record

    def receipt(self, ma_gdich: str) -> bytes | None:
        rows = self._read("SELECT receipt FROM transactions WHERE ma_gdich = ?", (ma_gdich,))
        return None if not rows or rows[0][0] is None else bytes(rows[0][0])

    # -- events -----------------------------------------------------------------------------------
    def events_after(self, ma_dvi: str, after_id: int, limit: int = 500) -> list[tuple[int, str]]:
        rows = self._read(
            "SELECT id, data FROM events WHERE ma_dvi = ? AND id > ? ORDER BY id LIMIT ?",
            (ma_dvi, after_id, limit),
        )
        return [(int(i), str(d)) for i, d in rows]

    def last_event_id(self, ma_dvi: str) -> int:
        rows = self._read("SELECT COALESCE(MAX(id), 0) FROM events WHERE ma_dvi = ?", (ma_dvi,))
        return int(rows[0][0])

    def max_event_id(self) -> int:
        return int(self._read("SELECT COALESCE(MAX(id), 0) FROM events")[0][0])

    def units_with_events_after(self, after_id: int) -> tuple[list[str], int]:
        """The units with events after ``after_id``, and the last event id (``after_id`` when none)."""
        rows = self._read("SELECT ma_dvi, MAX(id) FROM events WHERE id > ? GROUP BY ma_dvi", (after_id,))
        return [str(r[0]) for r in rows], max((int(r[1]) for r in rows), default=after_id)
