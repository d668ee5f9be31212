"""The transaction lifecycle: SENT -> RECEIVED -> ACCEPTED | REJECTED (protocol §5).

Each transaction carries its next due time in the store; one background task advances whatever is due,
so after a restart the lifecycle simply continues. Every step is one SQLite transaction that applies
only if the status is still the expected one (statuses only move forward, never twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace

from tui_ibhxh.core.certs import parse_certificate
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.ivan_sim import errors
from tui_ibhxh.ivan_sim.receipts import signed_receipt
from tui_ibhxh.ivan_sim.rules import rejection
from tui_ibhxh.ivan_sim.state import SimState
from tui_ibhxh.ivan_sim.store import Advance, TxRecord, UnitRecord
from tui_ibhxh.ivan_sim.views import from_epoch

log = logging.getLogger("tui_ibhxh.ivan_sim")

MAX_IDLE = 1.0  # seconds between two looks at the store when nothing wakes the task


def _final_step(state: SimState, rec: TxRecord, now: float, unit: UnitRecord) -> Advance:
    """Decide the outcome of a RECEIVED transaction (the BHXH checks) and sign the confirmation."""
    tx = rec.tx
    try:
        dossier = state.forms.take(tx.ma_gdich, rec.dossier)
        signer = parse_certificate(rec.signer_der)
        code = rejection(
            dossier=dossier,
            signer=signer,
            unit_mst=unit.unit.mst,
            registered_sha256=parse_certificate(unit.cert_der).sha256,
            submitted_at=tx.submitted_at,
            revoked=state.config.revoked,
        )
    except Exception:  # a bug must not block the lifecycle: reject with the service error code
        log.exception("deciding %s failed", tx.ma_gdich)
        dossier, code = None, "SE999"
    status = TxStatus.ACCEPTED if code is None else TxStatus.REJECTED
    mota = None if code is None else errors.vi(code)
    receipt = signed_receipt(state.signer, unit, rec, status=status, ma_loi=code, mota_loi=mota, at=from_epoch(now))
    return Advance(
        ma_gdich=tx.ma_gdich,
        from_status=TxStatus.RECEIVED,
        to_status=status,
        at=now,
        next_due=None,
        ma_loi=code,
        mota_loi=mota,
        receipt=receipt,
        new_registration=(rec.signer_der, dossier.contact) if code is None and dossier is not None else None,
    )


def next_step(state: SimState, rec: TxRecord, now: float, units: dict[str, UnitRecord]) -> Advance | None:
    """The step of ``rec`` due at ``now``; ``units`` holds the units read so far (each read once per batch)."""
    if rec.tx.status is TxStatus.SENT:
        return Advance(
            ma_gdich=rec.tx.ma_gdich,
            from_status=TxStatus.SENT,
            to_status=TxStatus.RECEIVED,
            at=now,
            next_due=now + state.config.delays[1],
        )
    if rec.tx.status is TxStatus.RECEIVED:
        unit = units.get(rec.tx.ma_dvi) or state.store.get_unit(rec.tx.ma_dvi)
        if unit is None:  # cannot happen: units are never deleted
            raise LookupError(f"unit {rec.tx.ma_dvi} vanished")
        units[rec.tx.ma_dvi] = unit
        return _final_step(state, rec, now, unit)
    return None


def steps_for(state: SimState, records: list[TxRecord], now: float) -> list[Advance]:
    """The steps of each due transaction, decided (and its confirmation signed) off the store's thread: every
    step already due at ``now``: with no delay between RECEIVED and the outcome, a transaction takes both steps
    in one commit (in order, each with its event) instead of one commit and one look at the store each."""
    units: dict[str, UnitRecord] = {}
    steps = []
    for rec in records:
        step = next_step(state, rec, now, units)
        while step is not None:
            steps.append(step)
            if not _due_again(step, now):
                break
            rec = replace(rec, tx=replace(rec.tx, status=step.to_status))
            step = next_step(state, rec, now, units)
    return steps


def _due_again(step: Advance, now: float) -> bool:
    """Whether the transaction's next step is due as soon as ``step`` is taken."""
    return step.next_due is not None and step.next_due <= now


def _decides(state: SimState, rec: TxRecord, now: float) -> bool:
    """Whether the steps due for ``rec`` at ``now`` include its outcome (the BHXH checks and a signed
    confirmation): it is RECEIVED, or SENT with the outcome due as soon as it is RECEIVED."""
    if rec.tx.status is TxStatus.RECEIVED:
        return True
    step = next_step(state, rec, now, {}) if rec.tx.status is TxStatus.SENT else None
    return step is not None and _due_again(step, now)


async def advance_due(state: SimState, now: float) -> list[str]:
    """Advance every transaction due at ``now`` by the steps due (see :func:`steps_for`), all in one durable
    commit (the group commit's next one). Returns the units whose streams must be woken."""
    store = state.store
    records = await store.run(store.due, now, 100, state.worker.part)
    if not records:
        return []
    if any(_decides(state, rec, now) for rec in records):  # decisions and signatures: off the loop
        steps = await asyncio.get_running_loop().run_in_executor(
            state.verify_pool, steps_for, state, records, time.time()
        )
    else:  # SENT -> RECEIVED only: nothing to decide or sign, not worth a trip to another thread
        steps = steps_for(state, records, time.time())
    applied = await state.commits.advance(steps)  # in the next commit, with the submissions that arrive meanwhile
    return [rec.tx.ma_dvi for rec in applied if rec is not None]


async def run_lifecycle(state: SimState) -> None:
    """The background task: advance due transactions until cancelled."""
    while True:
        state.wake.clear()
        try:
            touched = await advance_due(state, time.time())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("lifecycle step failed")
            touched = []
        for unit in set(touched):
            state.broadcaster.notify(unit)
        if touched:
            continue
        nxt = await state.store.run(state.store.next_due, state.worker.part)
        timeout = MAX_IDLE if nxt is None else min(max(nxt - time.time(), 0.0), MAX_IDLE)
        if timeout <= 0:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.wake.wait(), timeout)
