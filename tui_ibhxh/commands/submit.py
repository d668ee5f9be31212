"""``ibhxh submit --cert SERIAL [contact options] [--yes] [--pin-stdin] [--wait]``.

Exit codes: 0 accepted (or sent, without ``--wait``); 2 rejected (reason printed); 1 error; 4 nothing signed
because another dossier of the unit is in the way (being signed or sent by another session right now, signed but
not yet sent, waiting for BHXH's answer, or this very change was just accepted).
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from pathlib import Path

import click

from tui_ibhxh.cli import EXIT_BUSY, EXIT_ERROR, EXIT_OK, EXIT_REJECTED, Args, CliContext, command, root
from tui_ibhxh.commands import _common, _session, _text
from tui_ibhxh.core.certs import problem_message
from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.models import Contact, Transaction, TxStatus
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.report import change_summary
from tui_ibhxh.services.signing import find_cert
from tui_ibhxh.services.workflow import CertChoice, Resent, Step, UpdateWorkflow

# the exit codes of cli.py (one list for every command): --out exits EXIT_ACCEPTED when the file is written
EXIT_ACCEPTED, EXIT_PENDING = EXIT_OK, EXIT_BUSY
#: the refusals that mean "another dossier of the unit is in the way": exit 4, nothing was signed
IN_THE_WAY = frozenset({"journal.busy", "journal.pending", "journal.in_progress", "workflow.already_registered"})


@command(root, "submit", "nộp thay đổi chứng thư số / submit the certificate change")
@click.option("--cert", required=True, metavar="SERIAL", help="serial (hex) of the new certificate")
@click.option("--diachi", metavar="TEXT", help="địa chỉ liên hệ (default: as registered)")
@click.option("--dien-thoai", metavar="PHONE", help="điện thoại (default: as registered)")
@click.option("--email", metavar="EMAIL", help="e-mail nhận thông báo (default: as registered)")
@click.option("--nguoi-lhe", metavar="NAME", help="người liên hệ (default: as registered)")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.option(
    "--allow-older", is_flag=True, help="accept a certificate that expires before the registered one (a downgrade)"
)
@click.option("--wait", is_flag=True, help="wait for BHXH's final answer")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="sign and write the envelope to this file (a path ending in .xml) or into this directory (named "
    "05_SD-IVAN_<unit>_<time>.xml) instead of sending it, for an I-VAN that takes uploads on its web portal; "
    "never sent by the app",
)
@click.option("--timeout", type=float, default=None, metavar="SECONDS", help="give up waiting after this")
@click.option("--json", is_flag=True, help="print the transaction as JSON")
@_session.signed_in
async def run(wf: UpdateWorkflow, args: Args, ctx: CliContext) -> int:
    try:
        return await _run(wf, args, ctx)
    except UserError as exc:
        if exc.key not in IN_THE_WAY:
            raise
        ctx.err(exc.message(ctx.lang))
        return EXIT_PENDING


def _contact(base: Contact, args: Args) -> Contact:
    return replace(
        base,
        diachi_lhe=args.diachi if args.diachi is not None else base.diachi_lhe,
        dien_thoai=args.dien_thoai if args.dien_thoai is not None else base.dien_thoai,
        email=args.email if args.email is not None else base.email,
        nguoi_lhe=args.nguoi_lhe if args.nguoi_lhe is not None else base.nguoi_lhe,
    )


def _summary(wf: UpdateWorkflow, choice: CertChoice, contact: Contact, ctx: CliContext) -> list[str]:
    lang = ctx.lang
    new = choice.cert.info
    labels = {"serial": "cli.field.serial", "subject": "cli.field.subject", "issuer": "cli.field.issuer"}
    labels["validity"] = "reg.validity"
    changes = change_summary(wf.registration, new, contact)
    rows = [(t(labels.get(r.field, f"field.{r.field}"), lang), r) for r in changes]
    width = max(len(label) for label, _ in rows)
    lines = [t("cli.summary_title", lang, ten_dvi=wf.profile.unit.ten_dvi, ma_dvi=wf.ma_dvi)]
    for label, row in rows:
        lines.append(f"{'*' if row.changed else ' '} {label.ljust(width)} : {row.before or ''}")
        lines.append(f"  {''.ljust(width)} → {row.after}")
    for p in choice.problems:  # only non-blocking ones reach here
        lines.append(f"! {p.code}: {problem_message(p, new, lang, unit_mst=wf.profile.unit.mst)}")
    return lines


def _confirm(ctx: CliContext, args: Args) -> bool:
    if args.yes:
        return True
    if args.pin_stdin or not sys.stdin.isatty():
        raise UserError("cli.confirm_needed")
    answer = input(t("cli.confirm", ctx.lang)).strip().lower()
    return answer in ("c", "co", "có", "y", "yes")


async def _run(wf: UpdateWorkflow, args: Args, ctx: CliContext) -> int:
    # a dossier signed earlier but never acknowledged is finished first (same key, never signed again);
    # this run then reports it instead of signing a new one
    resent: list[Transaction] = []

    def on_resent(done: Resent) -> None:
        if done.transaction is not None:
            tx = done.transaction
            status = _text.status_text(tx, ctx.lang)
            ctx.err(t("cli.resent", ctx.lang, key=done.entry.key, ma_gdich=tx.ma_gdich, status=status))
            resent.append(tx)

    if args.out is None:  # a file for the portal does not send anything, not even what is pending
        await wf.resume(on_resent)
    if resent:
        return await _finish(wf, resent[-1], args, ctx)
    choices = await wf.choices()
    wanted = find_cert([c.cert for c in choices], args.cert)
    await wf.check_revocation([wanted])  # the summary and the refusal say what the CA says (bounded)
    choice = wf.choice_for(wanted)
    await wf.precheck(choice, ctx.lang)
    contact = _contact(wf.default_contact(), args)
    for line in _summary(wf, choice, contact, ctx):
        ctx.err(line)
    if not _confirm(ctx, args):
        ctx.err(t("cli.cancelled", ctx.lang))
        return EXIT_ERROR
    progress = _session.Progress(ctx)

    def on_step(step: Step) -> None:
        progress.say(t(f"cli.step.{step}", ctx.lang))

    if args.out is not None:
        path = await wf.hand_over(
            choice, contact, args.out, lang=ctx.lang, progress=on_step, allow_older=args.allow_older
        )
        progress.end()
        ctx.out(t("cli.handed_over", ctx.lang, path=path))
        return EXIT_ACCEPTED
    try:
        tx = await wf.submit(choice, contact, lang=ctx.lang, progress=on_step, allow_older=args.allow_older)
    except asyncio.CancelledError:  # ctrl+c: a signed dossier is already safe in the journal
        progress.end()
        ctx.err(t("cli.submit_interrupted", ctx.lang))
        raise
    progress.end()
    ctx.err(
        t(
            "cli.sent",
            ctx.lang,
            ma_gdich=tx.ma_gdich,
            so_hso=tx.so_hso,
            status=_text.status_text(tx, ctx.lang),
        )
    )
    return await _finish(wf, tx, args, ctx)


async def _finish(wf: UpdateWorkflow, tx: Transaction, args: Args, ctx: CliContext) -> int:
    if args.wait and not tx.status.final:
        progress = _session.Progress(ctx)

        def on_update(update: Transaction) -> None:
            progress.say(
                t(
                    "cli.waiting",
                    ctx.lang,
                    ma_gdich=update.ma_gdich,
                    status=_text.status_text(update, ctx.lang),
                )
            )

        async def ticker() -> None:
            while True:
                await asyncio.sleep(1)
                progress.tick()

        tick = asyncio.create_task(ticker())
        try:
            tx = await wf.follow(tx.ma_gdich, on_update=on_update, timeout=args.timeout)
        except asyncio.CancelledError:  # ctrl+c: only the waiting stops, the transaction goes on at BHXH
            progress.end()
            ctx.err(t("cli.wait_interrupted", ctx.lang, ma_gdich=tx.ma_gdich))
            raise
        finally:
            tick.cancel()
            progress.end()
    if args.json:
        ctx.out(_common.dump_json(_text.tx_json(tx)))
    if tx.status is TxStatus.ACCEPTED:
        serial = wf.registration.certificate.serial if wf.registration else ""
        ctx.out(t("cli.final_accepted", ctx.lang, ma_gdich=tx.ma_gdich, serial=serial))
        return EXIT_ACCEPTED
    if tx.status is TxStatus.REJECTED:
        ctx.out(
            t(
                "cli.final_rejected",
                ctx.lang,
                ma_gdich=tx.ma_gdich,
                ma_loi=tx.ma_loi or "",
                mota_loi=tx.mota_loi or "",
            )
        )
        return EXIT_REJECTED
    if not args.json:
        ctx.out(tx.ma_gdich)
    return EXIT_ACCEPTED
