"""What the unit's certificates are checked against, built one way for the app and the commands: the configured
trust anchors, the unit and its registration, and the CAs' revocation verdicts (cached under the data
directory)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from tui_ibhxh.core.certs import CertificateError, CheckContext, load_certificates
from tui_ibhxh.core.models import CertInfo, RegisteredCert
from tui_ibhxh.core.revocation import Revocation
from tui_ibhxh.services.config import Config, UnitProfile
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.revocation import RevocationChecker


def read_anchors(paths: Sequence[Path]) -> list[CertInfo]:
    """The certificates of ``[ivan] trust_anchors``; a file that cannot be read or holds no certificate is a
    sentence naming it."""
    anchors: list[CertInfo] = []
    for path in paths:
        try:
            anchors.extend(load_certificates(path.read_bytes()))
        except OSError as exc:
            raise UserError("config.anchor_unreadable", path=path, problem=type(exc).__name__) from None
        except CertificateError:
            raise UserError("config.anchor_invalid", path=path) from None
    return anchors


def revocation_checker(cfg: Config) -> RevocationChecker:
    """The CAs asked about revocation: each fetch bounded by ``[revocation] timeout``, answers cached under the
    data directory until their nextUpdate."""
    return RevocationChecker(cfg.paths.data_dir / "revocation", timeout=cfg.revocation.timeout)


def check_context(
    profile: UnitProfile | None,
    *,
    now: datetime,
    anchors: Sequence[CertInfo],
    intermediates: Sequence[CertInfo] = (),
    registered: RegisteredCert | None = None,
    revocation: Mapping[str, Revocation] | None = None,
    unchecked: Revocation | None = None,
) -> CheckContext:
    """What a certificate of the unit is checked against: its MST, the anchors, the token's CA certificates as
    intermediates, the certificate BHXH has on record (``registered``, else the config's cache of it) and the CAs'
    verdicts so far."""
    return CheckContext(
        now=now,
        unit_mst=profile.unit.mst if profile else None,
        anchors=anchors,
        intermediates=intermediates,
        revocation=revocation or {},
        unchecked=unchecked,
        registered_sha256=(registered.sha256 if registered else profile.registered_cert_sha256 if profile else "")
        or None,
        registered_serial_issuer=(registered.serial, registered.issuer) if registered else None,
        registered_not_after=registered.not_after if registered else profile.registered_not_after if profile else None,
    )
