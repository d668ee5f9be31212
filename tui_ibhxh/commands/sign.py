"""``ibhxh sign IN.xml --cert SERIAL [--pin-stdin] --out OUT.xml``: enveloped XMLDSig on the token."""

from __future__ import annotations

from pathlib import Path

import click

from tui_ibhxh.cli import Args, CliContext, command, root
from tui_ibhxh.commands import _common
from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.xmlsafe import XmlError
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.files import write_atomic
from tui_ibhxh.services.signing import ensure_can_sign, find_cert, sign_xml_sync


@command(root, "sign", "ký tệp XML bằng token / sign an XML file on the token")
@click.argument("input", type=click.Path(path_type=Path), metavar="IN.xml")
@click.option("--cert", required=True, metavar="SERIAL", help="serial (hex) of the signing certificate")
@click.option("--out", required=True, type=click.Path(path_type=Path), metavar="OUT.xml", help="the signed file")
@click.option("--pin-stdin", is_flag=True, help="read the PIN from the first line of standard input")
def run(args: Args, ctx: CliContext) -> int:
    try:
        xml = args.input.read_bytes()
    except OSError as exc:
        raise UserError("cli.read_failed", path=args.input, problem=exc.strerror or type(exc).__name__) from None
    cfg = ctx.config()
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
