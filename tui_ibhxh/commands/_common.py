"""What several commands share: config, token service, certificate checks, JSON helpers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui_ibhxh.core.certs import CheckContext, check_certificate, problem_message
from tui_ibhxh.core.i18n import Lang, t
from tui_ibhxh.core.models import CertInfo, Problem, TokenCert, TokenInfo
from tui_ibhxh.core.revocation import Revocation
from tui_ibhxh.services import trust
from tui_ibhxh.services.config import Config
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.revocation import subjects_for
from tui_ibhxh.services.token import TokenService, service_from_config

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


@contextmanager
def token_service(cfg: Config) -> Iterator[TokenService]:
    service = service_from_config(cfg)
    try:
        yield service
    finally:
        service.close()


def chosen_token(tokens: list[TokenInfo], wanted: str | None) -> TokenInfo | None:
    """The token ``wanted`` (serial), else the only one plugged in; None when several are and none was named."""
    if wanted:
        for tok in tokens:
            if tok.serial == wanted:
                return tok
        raise UserError("token.not_found", label=wanted)
    if not tokens:
        raise UserError("cli.no_tokens_plug")
    return tokens[0] if len(tokens) == 1 else None


def print_warnings(service: TokenService, ctx: CliContext) -> None:
    """What the last token listing could not do or see (module not loaded, pcscd down, no forwarded token)."""
    for warning in [*service.module_errors, *service.notices]:
        ctx.err(t("cli.module_warning", ctx.lang, message=warning.message(ctx.lang)))


def check_context(
    cfg: Config, *, unit: str | None = None, now: datetime | None = None, certs: Sequence[TokenCert] = ()
) -> CheckContext:
    """What the token's ``certs`` are checked against: the unit, the anchors, the token's CA certificates as
    intermediates, and the CAs' revocation verdicts (asked now, each fetch bounded by ``[revocation] timeout``)."""
    ctx = trust.check_context(
        cfg.unit(unit) if cfg.units else None,
        now=now or datetime.now(UTC),
        anchors=trust.read_anchors(cfg.ivan.trust_anchors),
        intermediates=tuple(c.info for c in certs if c.info.is_ca),
    )
    return replace(ctx, revocation=revocation_verdicts(cfg, [c.info for c in certs], ctx))


def revocation_verdicts(cfg: Config, certs: Sequence[CertInfo], ctx: CheckContext) -> dict[str, Revocation]:
    """The CAs' verdicts on ``certs`` (those with a validated path), by SHA-256; answers cached under the data
    directory until their nextUpdate."""
    subjects = subjects_for(certs, ctx.anchors, ctx.intermediates, at=ctx.now)
    if not subjects:
        return {}
    verdicts = asyncio.run(trust.revocation_checker(cfg).check_all(subjects.values(), now=ctx.now))
    return dict(zip(subjects, verdicts, strict=True))


def token_json(info: TokenInfo) -> dict[str, Any]:
    return {
        "module": info.module,
        "slot_id": info.slot_id,
        "label": info.label,
        "manufacturer": info.manufacturer,
        "model": info.model,
        "serial": info.serial,
        "login_required": info.login_required,
        "pin_count_low": info.pin.count_low,
        "pin_final_try": info.pin.final_try,
        "pin_locked": info.pin.locked,
        "pin_to_be_changed": info.pin.to_be_changed,
        "forwarded": info.forwarded,
    }


def cert_json(cert: TokenCert, problems: list[Problem], ctx: CheckContext, lang: Lang) -> dict[str, Any]:
    info = cert.info
    personal = info.personal_id
    return {
        "token_serial": cert.token_serial,
        "token_label": cert.token_label,
        "label": cert.label,
        "key_id": cert.key_id,
        "serial": info.serial,
        "subject": info.subject,
        "issuer": info.issuer,
        "common_name": info.common_name,
        "mst": info.mst,
        "personal_id": f"{personal.kind}:{personal.value}" if personal else None,
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
        "sha256": info.sha256,
        "key_usage": sorted(info.key_usage),
        "is_ca": info.is_ca,
        "has_private_key": cert.has_private_key,
        "usable": not any(p.blocking for p in problems),
        "problems": [
            {
                "code": str(p.code),
                "blocking": p.blocking,
                "days": p.days,
                "detail": p.detail or None,
                "source": p.source or None,
                "message": problem_message(p, info, lang, unit_mst=ctx.unit_mst),
            }
            for p in problems
        ],
    }


def read_pins(from_stdin: bool, prompts: Sequence[str]) -> list[str]:
    """One PIN per prompt: lines of stdin (``--pin-stdin``) or masked prompts on a terminal; never echoed or
    logged."""
    import getpass
    import sys

    if from_stdin:
        pins = [sys.stdin.readline().rstrip("\r\n") for _ in prompts]
    elif sys.stdin.isatty():
        pins = [getpass.getpass(prompt) for prompt in prompts]
    else:
        raise UserError("cli.pin_needed")
    if not all(pins):
        raise UserError("cli.pin_empty")
    return pins


def read_pin(from_stdin: bool, lang: Lang) -> str:
    """The PIN from the first line of stdin (``--pin-stdin``) or a masked prompt."""
    return read_pins(from_stdin, [t("cli.pin_prompt", lang)])[0]


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def checked(cert: TokenCert, ctx: CheckContext) -> list[Problem]:
    return check_certificate(cert.info, has_private_key=cert.has_private_key, ctx=ctx)
