"""``ibhxh verify FILE [--cert PEM] [--trust PEM ...]``: exit 0 valid; 1 invalid, the reason on one line.

A BHXH envelope (``Hoso``) is checked completely — its signature, the form inside and its signature, the same
signer, the unit in both — and a failure names the part; any other signed XML (a form, a confirmation) is
checked as one signed document."""

from __future__ import annotations

from pathlib import Path

import click

from tui_ibhxh.cli import Args, CliContext, command, root
from tui_ibhxh.core.certs import CertificateError, load_certificates
from tui_ibhxh.core.envelope import TEN_FILE_05, is_envelope, signature_place, verify_envelope
from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.xmldsig import TrustStore, verify_document
from tui_ibhxh.core.xmlsafe import XmlError
from tui_ibhxh.services.errors import UserError


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UserError("cli.read_failed", path=path, problem=exc.strerror or type(exc).__name__) from None


def _certs(path: Path) -> list[bytes]:
    try:
        return [c.der for c in load_certificates(_read(path))]
    except CertificateError:
        raise UserError("cli.not_a_certificate", path=path) from None


@command(root, "verify", "kiểm tra chữ ký XML / verify an XML signature")
@click.argument("file", type=click.Path(path_type=Path), metavar="FILE")
@click.option("--cert", type=click.Path(path_type=Path), metavar="PEM", help="the signer must be this certificate")
@click.option(
    "--trust",
    type=click.Path(path_type=Path),
    multiple=True,
    metavar="PEM",
    help="trust anchor(s) the signer must chain to, repeatable (default: [ivan] trust_anchors of the config)",
)
def run(args: Args, ctx: CliContext) -> int:
    xml = _read(args.file)
    pinned = _certs(args.cert)[0] if args.cert else None
    anchor_paths: list[Path] = list(args.trust)
    if not anchor_paths and pinned is None:
        anchor_paths = ctx.config().ivan.trust_anchors
        if not anchor_paths:
            raise UserError("verify.no_trust")
    trust = TrustStore([der for p in anchor_paths for der in _certs(p)]) if anchor_paths else None
    try:
        if is_envelope(xml):
            info = verify_envelope(xml, pinned_cert_der=pinned, trust=trust).certificate
            ctx.out(t("verify.valid_envelope", ctx.lang, subject=info.subject, serial=info.serial, file=TEN_FILE_05))
            return 0
        info = verify_document(xml, pinned_cert_der=pinned, trust=trust, container=signature_place(xml)).certificate
    except XmlError as exc:
        ctx.out(t("verify.invalid", ctx.lang, code=exc.code, reason=exc.message(ctx.lang)))
        return 1
    ctx.out(t("verify.valid", ctx.lang, subject=info.subject, serial=info.serial))
    return 0
