"""The workflow owns the unit's state (in-process workflow, real simulator process, SoftHSM demo token): results,
re-sends, the history feed and the draft's request key, as observers see them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from urllib.parse import urlparse

import pytest

from tests.flow.conftest import PIN, Flow
from tests.support.fault_proxy import FaultProxy, ProxyThread
from tui_ibhxh.core.dossier import parse_dossier
from tui_ibhxh.core.envelope import verify_envelope
from tui_ibhxh.core.i18n import Lang, translator
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.core.state import Aspect, Change, Feed, PendingDossier, UnitState
from tui_ibhxh.services.config import load_config
from tui_ibhxh.services.errors import UserError, said
from tui_ibhxh.services.ivan_client import IvanClient, RetryPolicy
from tui_ibhxh.services.journal import EntryState, Journal
from tui_ibhxh.services.token import TokenService
from tui_ibhxh.services.workflow import CertChoice, Resent, UpdateWorkflow


@asynccontextmanager
async def workflow(flow: Flow, *, retry: RetryPolicy | None = None) -> AsyncIterator[UpdateWorkflow]:
    cfg = load_config(flow.config)
    tokens = TokenService(cfg.module_paths(), softhsm2_conf=cfg.token.softhsm2_conf)
    journal = Journal(flow.journal)
    client = IvanClient(cfg.ivan.url, retry=retry or RetryPolicy(attempts=1))
    wf = UpdateWorkflow(cfg, tokens=tokens, journal=journal, client=client)
    try:
        yield wf
    finally:
        await client.close()
        journal.close()
        tokens.close()


async def connected(wf: UpdateWorkflow) -> None:
    [token] = [t for t in await wf.list_tokens() if t.label == "DEMO TOKEN"]
    await wf.login(token, PIN)
    await wf.connect()


@contextmanager
def proxied(flow: Flow) -> Iterator[FaultProxy]:
    """The app talks to the simulator through a proxy that can break chosen requests."""
    host, port = urlparse(flow.sim.base).hostname or "", urlparse(flow.sim.base).port or 0
    with ProxyThread(host, port) as proxy:
        flow.point_at(f"http://127.0.0.1:{proxy.port}")
        yield proxy


async def signed_not_sent(wf: UpdateWorkflow, proxy: FaultProxy) -> tuple[CertChoice, PendingDossier]:
    """Log in, choose the new certificate, and have every POST of the dossier fail: it is signed and pending."""
    await connected(wf)
    await wf.check_revocation()  # as the certificates step does: the demo's revoked certificate is then blocked
    [choice] = [c for c in await wf.choices() if c.usable and c.older is None]
    proxy.faults = [("POST", "/dossiers", "reset")] * 10
    with pytest.raises(UserError) as info:
        await wf.submit(choice, wf.default_contact())
    assert info.value.key == "workflow.send_failed_kept"
    assert wf.state.pending is not None
    return choice, wf.state.pending


async def wait_for(cond: Callable[[], bool], timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not cond():
            await asyncio.sleep(0.02)


def test_a_result_reaches_every_observer_and_the_config_at_once(flow: Flow) -> None:
    """ACCEPTED seen on the event stream: the registration in the state is the new one, observers were told, the
    config holds the new certificate — without a new login."""

    async def scenario() -> None:
        async with workflow(flow) as wf:
            await connected(wf)
            seen: list[Change] = []
            wf.observe(lambda state, change: seen.append(change))
            follower = asyncio.create_task(wf.follow_history(poll_interval=60))
            await wait_for(lambda: wf.state.feed.mode is Feed.LIVE)
            [choice] = [c for c in await wf.choices() if c.cert.info.serial == flow.new_serial]
            tx = await wf.submit(choice, wf.default_contact())
            await wait_for(lambda: wf.state.transactions[tx.ref].status is TxStatus.ACCEPTED)
            await wait_for(lambda: wf.state.registration is not None and wf.state.registration.version == 2)
            follower.cancel()
            assert wf.state.registration is not None
            assert wf.state.registration.certificate.serial == flow.new_serial
            assert any(Aspect.REGISTRATION in c for c in seen)
            assert load_config(flow.config).unit().registered_cert_serial == flow.new_serial
            # the choices now say which is registered and which it replaced
            by_serial = {c.cert.info.serial: c for c in await wf.choices()}
            assert by_serial[flow.new_serial].registered and not by_serial[flow.new_serial].usable
            old = by_serial[flow.registered_serial]
            assert old.replaced and old.older is not None and old.usable
            [entry] = wf.journal.entries()
            assert entry.state is EntryState.FINAL and entry.status is TxStatus.ACCEPTED
            assert wf.state.pending is None

    asyncio.run(scenario())


def test_the_page_and_the_stream_join_without_a_gap(flow: Flow) -> None:
    """A change made between the history page and the opening of the stream is delivered by the stream opened
    from the page's event id (no sleep, no poll: the poll interval is longer than the test)."""

    async def scenario() -> None:
        async with workflow(flow) as wf, workflow(flow) as other:
            await connected(wf)
            await connected(other)
            since = await wf.load_history()
            assert since is not None and wf.state.history_loaded
            [choice] = [c for c in await other.choices() if c.cert.info.serial == flow.new_serial]
            made = await other.submit(choice, other.default_contact())  # while nobody listens
            changes = wf.watch_history(since=since, poll_interval=3600)
            try:
                async with asyncio.timeout(15):
                    first = await anext(changes)
            finally:
                await changes.aclose()
            assert first.ref == made.ref
            assert wf.state.transactions[made.ref].ma_gdich == made.ma_gdich

    asyncio.run(scenario())


def test_unreachable_is_said_with_since_and_polling_failures_are_logged(
    flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    """Stream down and polls failing too: the feed says UNREACHABLE with the time it started; every failed poll is
    in the log; when the I-VAN is back, the stream feeds the history again."""

    async def scenario() -> None:
        with proxied(flow) as proxy:
            async with workflow(flow) as wf:
                await connected(wf)
                feeds: list[Feed] = []
                wf.observe(lambda state, change: feeds.append(state.feed.mode) if Aspect.FEED in change else None)
                proxy.faults = [("GET", "/events", "reset")] * 1000 + [("GET", "/transactions", "reset")] * 1000
                follower = asyncio.create_task(wf.follow_history(poll_interval=0.2))
                await wait_for(lambda: wf.state.feed.mode is Feed.UNREACHABLE)
                assert wf.state.feed.since is not None and wf.state.feed.error is not None
                assert wf.state.history_error is not None  # the first load failed too; said, and retried
                proxy.faults = []
                await wait_for(lambda: wf.state.feed.mode is Feed.LIVE, timeout=30)
                assert wf.state.history_loaded and wf.state.history_error is None
                follower.cancel()
                assert Feed.UNREACHABLE in feeds and feeds[-1] is Feed.LIVE

    with caplog.at_level(logging.WARNING, logger="tui_ibhxh.services.workflow"):
        asyncio.run(scenario())
    assert any(
        "history not loaded" in r.getMessage() or "polling the I-VAN failed" in r.getMessage() for r in caplog.records
    )


LANGS: tuple[Lang, Lang] = ("vi", "en")


def test_a_pending_dossier_is_in_the_state_and_its_resend_is_told(flow: Flow) -> None:
    """The POST fails after the journal: the dossier is pending (attempts, reason) in the state; another workflow
    (the next start) re-sends it with `resume`, says which one and how it went; the same bytes, the same key."""

    async def scenario() -> None:
        with proxied(flow) as proxy:
            async with workflow(flow) as wf:
                _choice, pending = await signed_not_sent(wf, proxy)
                assert pending.attempts == 1 and pending.last_error
                # kept by key: said in the reader's language, whichever the session that failed had
                vi, en = (said(pending.last_error, translator(lang)) for lang in LANGS)
                assert vi and en and vi != en and "{" not in vi + en, (vi, en)
                signed = wf.journal.get(pending.key)
                assert signed is not None
            proxy.faults = []
            async with workflow(flow) as again:
                await connected(again)
                assert again.state.pending is not None and again.state.pending.key == pending.key
                told: list[Resent] = []
                await again.resume(told.append)
                [done] = told
                assert done.entry.key == pending.key and done.transaction is not None and done.error is None
                assert done.transaction.idempotency_key == pending.key
                assert again.state.pending is None
                entry = again.journal.get(pending.key)
                assert entry is not None and entry.signed_xml == signed.signed_xml  # never signed again

    asyncio.run(scenario())


def test_discard_only_while_never_acknowledged(flow: Flow) -> None:

    async def scenario() -> None:
        with proxied(flow) as proxy:
            async with workflow(flow) as wf:
                choice, pending = await signed_not_sent(wf, proxy)
                key = pending.key
                await wf.discard(key)
                assert wf.state.pending is None
                entry = wf.journal.get(key)
                assert entry is not None and entry.state is EntryState.DISCARDED and entry.signed_xml
                proxy.faults = []
                tx = await wf.submit(choice, wf.default_contact())  # a new dossier may now be signed
                assert tx.idempotency_key != key
                with pytest.raises(UserError) as info:
                    await wf.discard(tx.idempotency_key)  # acknowledged by the I-VAN: never discarded
                assert info.value.key == "workflow.no_pending"

    asyncio.run(scenario())


def test_the_preview_is_what_gets_signed(flow: Flow) -> None:
    """F6 shows the form with the real request key and the envelope around it; the journalled dossier (the signed
    envelope) carries that form, with the same key, signed."""

    async def scenario() -> None:
        async with workflow(flow) as wf:
            await connected(wf)
            [choice] = [c for c in await wf.choices() if c.cert.info.serial == flow.new_serial]
            contact = wf.default_contact()
            preview = wf.preview(choice.cert, contact)
            key = wf.draft().key
            assert f"<MA_YEUCAU>{key}</MA_YEUCAU>".encode() in preview.form and b"00000000-0000" not in preview.form
            assert b"<Hoso><NoiDung>" in preview.envelope and b"<MaThuTuc>05_SD-IVAN</MaThuTuc>" in preview.envelope
            tx = await wf.submit(choice, contact)
            assert tx.idempotency_key == key
            entry = wf.journal.get(key)
            assert entry is not None
            signed = verify_envelope(entry.signed_xml, pinned_cert_der=choice.cert.info.der)
            assert signed.form.ma_yeucau == key
            assert signed.form == parse_dossier(preview.form)  # the previewed form is what was signed
            assert wf.state.draft is None  # the next change gets a new key

    asyncio.run(scenario())


def test_observers_see_state_not_copies() -> None:
    """A failing observer is logged and never breaks the others (the procedure goes on)."""
    from tui_ibhxh.core.models import Unit
    from tui_ibhxh.core.state import StateHub

    hub = StateHub(UnitState(unit=Unit("TA1234A", "0101234565", "ABC")))
    calls: list[str] = []

    def broken(state: UnitState, change: Change) -> None:
        raise RuntimeError("view bug")

    hub.observe(broken)
    stop = hub.observe(lambda state, change: calls.append(str(sorted(change.aspects))))
    hub.changed(Aspect.PENDING)
    stop()
    hub.changed(Aspect.PENDING)
    assert calls == ["[<Aspect.PENDING: 'pending'>]"]
