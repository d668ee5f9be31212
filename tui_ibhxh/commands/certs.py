"""``ibhxh certs [--json] [--token SERIAL]``: the certificates on the tokens and their problems (no PIN); their
CAs are asked whether they are revoked (OCSP/CRL, each fetch bounded by ``[revocation] timeout``)."""

from __future__ import annotations

from typing import Any

import click

from tui_ibhxh.cli import Args, CliContext, command, root
from tui_ibhxh.commands import _common
from tui_ibhxh.core.i18n import fmt_date, t
from tui_ibhxh.core.models import TokenCert


@command(root, "certs", "chứng thư số trên token / certificates on the tokens")
@click.option("--json", "json", is_flag=True, help="JSON output")
@click.option("--token", metavar="SERIAL", help="only this token (serial)")
@click.option("--unit", metavar="NAME", help="unit profile to check against (default: default_unit)")
def run(args: Args, ctx: CliContext) -> int:
    cfg = ctx.config()
    certs: list[TokenCert] = []
    with _common.token_service(cfg) as service:
        tokens = service.list_tokens_sync()
        _common.print_warnings(service, ctx)
        for tok in tokens:
            if args.token and tok.serial != args.token:
                continue
            certs.extend(service.certificates_sync(tok.serial))
    check = _common.check_context(cfg, unit=args.unit, certs=certs)
    rows: list[dict[str, Any]] = [_common.cert_json(c, _common.checked(c, check), check, ctx.lang) for c in certs]
    if args.json:
        ctx.out(_common.dump_json(rows))
        return 0
    if not tokens:
        ctx.out(t("cli.no_tokens", ctx.lang))
        return 0
    if not rows:
        ctx.out(t("cli.no_certs", ctx.lang))
        return 0
    for row in rows:
        _print_cert(row, ctx)
    return 0


def _print_cert(row: dict[str, Any], ctx: CliContext) -> None:
    from datetime import datetime

    lang = ctx.lang
    ctx.out(t("cli.cert_header", lang, label=row["label"], token=row["token_label"]))
    start = fmt_date(datetime.fromisoformat(row["not_before"]))
    end = fmt_date(datetime.fromisoformat(row["not_after"]))
    fields = [
        ("cli.field.serial", row["serial"]),
        ("cli.field.subject", row["subject"]),
        ("cli.field.issuer", row["issuer"]),
        ("cli.field.mst", row["mst"] or "—"),
        ("cli.field.validity", t("cli.validity", lang, start=start, end=end)),
        ("cli.field.status", t("cli.usable" if row["usable"] else "cli.blocking", lang)),
    ]
    width = max(len(t(k, lang)) for k, _ in fields)
    for key, value in fields:
        ctx.out(f"  {t(key, lang).ljust(width)} : {value}")
    if not row["problems"]:
        ctx.out(f"  ✓ {t('cli.no_problem', lang)}")
    for p in row["problems"]:
        mark = "✗" if p["blocking"] else "!"
        ctx.out(f"  {mark} [{p['code']}] {p['message']}")
    ctx.out()
