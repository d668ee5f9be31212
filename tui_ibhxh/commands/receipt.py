"""``ibhxh receipt MA_GDICH [--out FILE] [--html]``: BHXH's confirmation, its signature verified."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from tui_ibhxh.commands import _common, _session
from tui_ibhxh.core.certs import CertificateError, load_certificates
from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.receipt import ReceiptCheck, render_html, verify_receipt
from tui_ibhxh.services.config import Config
from tui_ibhxh.services.errors import UserError

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("receipt", help="xác nhận giao dịch của BHXH / BHXH's confirmation")
    p.add_argument("ma_gdich", metavar="MA_GDICH")
    p.add_argument("--out", type=Path, metavar="FILE", help="write the confirmation (XML, or HTML with --html)")
    p.add_argument("--html", action="store_true", help="render as HTML (form 01/TB-GD layout)")
    _session.add_session_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    return asyncio.run(_run(args, ctx))


def check_receipt(cfg: Config, xml: bytes) -> ReceiptCheck | None:
    path = cfg.ivan.bhxh_certificate
    if path is None:
        return None
    try:
        der = load_certificates(path.read_bytes())[0].der
    except (OSError, CertificateError, IndexError):
        raise UserError("cli.not_a_certificate", path=path) from None
    return verify_receipt(xml, der)


def check_text(check: ReceiptCheck | None, ctx: CliContext) -> str:
    if check is None:
        return t("cli.receipt_no_cert", ctx.lang)
    if check.valid and check.receipt is not None:
        subject = check.receipt.signer.subject if check.receipt.signer else "BHXH"
        return t("cli.receipt_valid", ctx.lang, subject=subject)
    reason = t(check.reason_key, ctx.lang, **dict(check.reason_params)) if check.reason_key else str(check.reason_code)
    return t("cli.receipt_invalid", ctx.lang, reason=reason)


async def _run(args: argparse.Namespace, ctx: CliContext) -> int:
    async with _session.open_workflow(ctx, args) as wf:
        await _session.login_and_connect(wf, args, ctx)
        xml = await wf.client.receipt(args.ma_gdich)
        check = check_receipt(wf.cfg, xml)
    status = check_text(check, ctx)
    ctx.err(status)
    data = render_html(xml, signature_status=status).encode("utf-8") if args.html else xml
    if args.out:
        _common.write_atomic(args.out, data)
        ctx.err(t("cli.written", ctx.lang, path=args.out))
    else:
        ctx.out(data.decode("utf-8"))
    return 0 if check is None or check.valid else 1
