"""``ibhxh check [--days 30]`` for cron: exit 1 with a one-line reason when the registered certificate expires
within N days, was revoked by its CA, or a newer valid certificate of the unit is on a token but not registered;
0 when all is well; 3 when it cannot tell (no unit, nothing known about the registration). No PIN needed; the
network only to ask the CA about revocation (bounded; an unreachable CA is not an alarm)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from tui_ibhxh.cli import EXIT_ERROR, EXIT_OK, EXIT_UNKNOWN, Args, CliContext, command, root
from tui_ibhxh.commands import _common
from tui_ibhxh.core.certs import days_left, key_too_weak, personal_certificate, unit_signing_certs
from tui_ibhxh.core.i18n import fmt_date, t
from tui_ibhxh.core.models import TokenCert
from tui_ibhxh.core.revocation import Revocation, RevocationState
from tui_ibhxh.services.config import Config
from tui_ibhxh.services.errors import UserError

EXIT_ACTION = EXIT_ERROR  # something to do: said on one line (cli.py lists every exit code)


@command(root, "check", "kiểm tra hạn chứng thư (cho cron) / expiry check for cron")
@click.option("--days", type=int, default=30, show_default=True, help="warn when it expires within N days")
@click.option("--unit", metavar="NAME", help="unit profile of the config (default: default_unit)")
def run(args: Args, ctx: CliContext) -> int:
    cfg = ctx.config()
    profile = cfg.unit(args.unit)
    now = datetime.now(UTC)
    certs: list[TokenCert] = []
    try:
        with _common.token_service(cfg) as service:
            for tok in service.list_tokens_sync():
                certs.extend(service.certificates_sync(tok.serial))
    except UserError:
        certs = []  # no token/module: the expiry can still be checked from the cached registration
    sha = profile.registered_cert_sha256.upper()
    on_token = next((c for c in certs if sha and c.info.sha256 == sha), None)
    cached_not_after = profile.registered_not_after
    if cached_not_after is not None:
        not_after = cached_not_after
        serial = profile.registered_cert_serial or (on_token.info.serial if on_token else "?")
    elif on_token is not None:
        not_after, serial = on_token.info.not_after, on_token.info.serial
    else:
        ctx.out(t("check.unknown", ctx.lang, ma_dvi=profile.unit.ma_dvi))
        return EXIT_UNKNOWN
    days = days_left(not_after, now)
    verdicts = _verdicts(cfg, args.unit, now, certs)
    newer = sorted(
        (
            c
            for c in unit_signing_certs(certs, profile.unit.mst, now)
            if c.info.sha256 != sha and c.info.not_after > not_after and not _unfit(c, verdicts)
        ),
        key=lambda c: c.info.not_after,
        reverse=True,
    )
    parts: list[str] = []
    revoked = verdicts.get(sha)
    if revoked is not None and revoked.state is RevocationState.REVOKED:
        when = fmt_date(revoked.revoked_at) if revoked.revoked_at else "?"
        parts.append(t("check.revoked", ctx.lang, serial=serial, date=when))
    elif not_after < now:
        parts.append(t("check.expired", ctx.lang, serial=serial, date=fmt_date(not_after)))
    elif days < args.days:
        parts.append(t("check.expiring", ctx.lang, serial=serial, date=fmt_date(not_after), count=days))
    if newer:
        best = newer[0].info
        parts.append(t("check.newer", ctx.lang, serial=best.serial, date=fmt_date(best.not_after)))
    elif parts:
        parts.append(t("check.no_newer", ctx.lang))
    if parts:
        ctx.out("; ".join(parts) + ".")
        return EXIT_ACTION
    ctx.out(t("check.ok", ctx.lang, serial=serial, date=fmt_date(not_after), count=days))
    return EXIT_OK


def _verdicts(cfg: Config, unit: str | None, now: datetime, certs: list[TokenCert]) -> dict[str, Revocation]:
    """What the CAs say about the token's certificates; nothing when it cannot be asked (no token, no anchors)."""
    if not certs:
        return {}
    try:
        return dict(_common.check_context(cfg, unit=unit, now=now, certs=certs).revocation)
    except UserError:
        return {}


def _unfit(cert: TokenCert, verdicts: dict[str, Revocation]) -> bool:
    """Not worth suggesting: revoked, a person's certificate, or a key BHXH refuses."""
    verdict = verdicts.get(cert.info.sha256)
    revoked = verdict is not None and verdict.state is RevocationState.REVOKED
    return revoked or personal_certificate(cert.info) or key_too_weak(cert.info)
