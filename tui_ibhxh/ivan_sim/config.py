"""Simulator configuration: a dataclass the CLI builds, optionally read from a small TOML file.

TOML layout (every key optional)::

    db = "sim.sqlite3"
    delays = [1.0, 2.0]            # SENT -> RECEIVED, RECEIVED -> final (seconds)
    trust = ["ca.pem"]             # trust anchors (PEM, may hold several certificates)
    revoked = ["54A1..."]          # revoked certificate serials (hex)
    heartbeat = 15.0               # SSE comment heartbeat (seconds)
    rate_limit = [300, 50.0]       # authenticated calls per unit: burst, requests per second
    auth_rate_limit = [60, 5.0]    # /auth/* per client address: burst, requests per second
    token_ttl = 900.0              # lifetime of an access token (an event stream ends with it), seconds
    bhxh_cert = "bhxh.pem"         # BHXH signing certificate + key (PEM); created next to the db if absent
    bhxh_key = "bhxh.key.pem"
    ca_cert = "ca.pem"             # a CA whose CRL and OCSP the simulator publishes (protocol §8), + its key
    ca_key = "ca.key.pem"
    ca_name = "demo-ca"            # the CRL is served at /api/v1/pki/{ca_name}.crl; OCSP at /api/v1/pki/ocsp
    pki_validity = 3600.0          # nextUpdate of the CRL and of OCSP answers, seconds after they are made
    pki_port = 0                   # also serve on 127.0.0.1:pki_port (the fixed URL in the CA's certificates)

    [[units]]
    ma_dvi = "TA1234A"
    mst = "0101234565"
    ten_dvi = "Công ty TNHH ABC"
    diadiem = "Hà Nội"
    co_quan_bhxh = "BHXH cơ sở Cầu Giấy"
    ma_co_quan_bhxh = "903"
    diachi_lhe = "Số 1 Trần Duy Hưng, phường Cầu Giấy, Hà Nội"
    dien_thoai = "0912345678"
    email = "ketoan@abc.vn"
    nguoi_lhe = "Nguyễn Văn A"
    cert = "registered.pem"        # the certificate on record (PEM or DER)

Relative paths are resolved against the TOML file's directory.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tui_ibhxh.core.models import Contact, Unit

MAX_BODY = 1_048_576
CHALLENGE_TTL = 120.0
TOKEN_TTL = 900.0


class SimConfigError(ValueError):
    """The simulator configuration cannot be used (message is an English sentence)."""


@dataclass(frozen=True)
class SeedUnit:
    """A unit to register when the simulator starts (kept as is when it is already on record)."""

    unit: Unit
    contact: Contact
    cert_path: Path | None = None
    cert_der: bytes | None = None

    def certificate_der(self) -> bytes:
        if self.cert_der is not None:
            return self.cert_der
        if self.cert_path is None:
            raise SimConfigError(f"unit {self.unit.ma_dvi}: no registered certificate given")
        return read_cert_der(self.cert_path)


@dataclass(frozen=True)
class SimConfig:
    db_path: Path
    delays: tuple[float, float] = (1.0, 2.0)
    trust: tuple[Path, ...] = ()
    revoked: frozenset[str] = frozenset()
    heartbeat: float = 15.0
    rate_burst: int = 300
    rate_per_second: float = 50.0
    auth_rate_burst: int = 60
    auth_rate_per_second: float = 5.0
    bhxh_cert: Path | None = None
    bhxh_key: Path | None = None
    ca_cert: Path | None = None
    ca_key: Path | None = None
    ca_name: str = "demo-ca"
    pki_validity: float = 3600.0
    pki_port: int = 0  # 0: no extra listener
    seed: tuple[SeedUnit, ...] = ()
    challenge_ttl: float = CHALLENGE_TTL
    token_ttl: float = TOKEN_TTL
    max_body: int = MAX_BODY

    def with_updates(self, **changes: Any) -> SimConfig:
        return replace(self, **changes)


def normalise_serial(serial: str) -> str:
    """``54:a1:0b`` / ``54 A1 0B`` / ``0x54a10b`` -> ``54A10B`` (whole bytes)."""
    text = serial.strip().upper()
    text = text.removeprefix("0X")
    text = "".join(ch for ch in text if ch not in ": -")
    text = text.lstrip("0") or "0"
    return text.zfill(len(text) + len(text) % 2)


def read_cert_der(path: Path) -> bytes:
    """The first certificate of a PEM file, or a DER file as is."""
    from asn1crypto import pem

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SimConfigError(f"cannot read certificate {path}: {exc.strerror or exc}") from None
    if pem.detect(data):
        for kind, _, der in pem.unarmor(data, multiple=True):
            if kind == "CERTIFICATE":
                return bytes(der)
        raise SimConfigError(f"{path} holds no certificate")
    return data


def _str(table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise SimConfigError(f"{where}: '{key}' must be a string")
    return value


def _unit(table: dict[str, Any], base: Path, index: int) -> SeedUnit:
    where = f"units[{index}]"
    unit = Unit(
        ma_dvi=_str(table, "ma_dvi", where),
        mst=_str(table, "mst", where),
        ten_dvi=_str(table, "ten_dvi", where),
        diadiem=_str(table, "diadiem", where, ""),
        co_quan_bhxh=_str(table, "co_quan_bhxh", where, ""),
        ma_co_quan_bhxh=_str(table, "ma_co_quan_bhxh", where, ""),
    )
    contact = Contact(
        diachi_lhe=_str(table, "diachi_lhe", where, ""),
        dien_thoai=_str(table, "dien_thoai", where, ""),
        email=_str(table, "email", where, ""),
        nguoi_lhe=_str(table, "nguoi_lhe", where, ""),
    )
    return SeedUnit(unit=unit, contact=contact, cert_path=base / _str(table, "cert", where))


def load_toml(path: Path, *, db_path: Path | None = None) -> SimConfig:
    """Read a simulator TOML file (see the module docstring)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SimConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SimConfigError(f"{path}: {exc}") from None
    base = path.parent
    db = db_path or (base / _str(data, "db", str(path), "ivan-sim.sqlite3"))
    delays = data.get("delays", [1.0, 2.0])
    rate = data.get("rate_limit", [300, 50.0])
    auth_rate = data.get("auth_rate_limit", [60, 5.0])
    try:
        cfg = SimConfig(
            db_path=db,
            delays=(float(delays[0]), float(delays[1])),
            trust=tuple(base / str(p) for p in data.get("trust", [])),
            revoked=frozenset(normalise_serial(str(s)) for s in data.get("revoked", [])),
            heartbeat=float(data.get("heartbeat", 15.0)),
            rate_burst=int(rate[0]),
            rate_per_second=float(rate[1]),
            auth_rate_burst=int(auth_rate[0]),
            auth_rate_per_second=float(auth_rate[1]),
            token_ttl=float(data.get("token_ttl", TOKEN_TTL)),
            bhxh_cert=base / str(data["bhxh_cert"]) if "bhxh_cert" in data else None,
            bhxh_key=base / str(data["bhxh_key"]) if "bhxh_key" in data else None,
            ca_cert=base / str(data["ca_cert"]) if "ca_cert" in data else None,
            ca_key=base / str(data["ca_key"]) if "ca_key" in data else None,
            ca_name=str(data.get("ca_name", "demo-ca")),
            pki_validity=float(data.get("pki_validity", 3600.0)),
            pki_port=int(data.get("pki_port", 0)),
            seed=tuple(_unit(u, base, i) for i, u in enumerate(data.get("units", []))),
        )
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        if isinstance(exc, SimConfigError):
            raise
        raise SimConfigError(f"{path}: {exc}") from None
    return cfg
