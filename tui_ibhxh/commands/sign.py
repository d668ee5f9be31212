"""``ibhxh sign IN.xml --cert SERIAL [--pin-stdin] --out OUT.xml``: enveloped XMLDSig on the token."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from tui_ibhxh.commands import _common
from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.xmlsafe import XmlError
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.files import write_atomic
from tui_ibhxh.services.signing import ensure_can_sign, find_cert, sign_xml_sync

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sign", help="ký tệp XML bằng token / sign an XML file on the token")
    p.add_argument("input", type=Path, metavar="IN.xml")
    p.add_argument("--cert", required=True, metavar="SERIAL", help="serial (hex) of the signing certificate")
    p.add_argument("--out", required=True, type=Path, metavar="OUT.xml")
    p.add_argument("--pin-stdin", action="store_true", help="read the PIN from the first line of standard input")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    try:
        xml = args.input.read_bytes()
    except OSError as exc:
        raise UserError("cli.read_failed", path=args.input, problem=exc.strerror or type(exc).__name__) from None
    cfg = _common.config(ctx.config_path)
    pin = _common.read_pin(args.pin_stdin, ctx.lang)
    with _common.token_service(cfg) as service:
        certs = [c for tok in service.list_tokens_sync() for c in service.certificates_sync(tok.serial)]
        cert = find_cert(certs, args.cert)
        ensure_can_sign(cert)
        service.login_sync(cert.token_serial, pin)
        del pin
        try:
            signed = sign_xml_sync(service, cert, xml)
        except XmlError as exc:
            raise UserError("cli.xml_error", error=exc) from None
    write_atomic(args.out, signed)
    ctx.err(t("sign.done", ctx.lang, path=args.out, serial=cert.info.serial, subject=cert.info.common_name))
    return 0
