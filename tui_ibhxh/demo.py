"""The embedded demo: a demo CA, a SoftHSM token "DEMO TOKEN" with the unit's certificates, a demo BHXH
signing certificate, and a config pointing the app at them. Everything lives under ``$IBHXH_HOME``.

Token contents (keys generated ON the token, certificates issued by the demo CA):
  (a) the certificate currently registered with the I-VAN: UID MST:0101234565, expires in 7 days
  (b) the new certificate of the same unit, valid about 2 years
  (c) the demo CA certificate (no key)
  (d) a certificate of another organisation (MST 0309876547)
  (e) a certificate of the unit that the demo CA has revoked (REVOKED, once its CRL/OCSP can be reached)
  (f) the director's personal certificate within the company: UID=MST:…, UID=CCCD:…, T, telephoneNumber
      (PERSONAL_CERTIFICATE)

Every certificate of the demo CA names the CA's CRL and OCSP responder (protocol §8) at a fixed loopback address,
``http://127.0.0.1:<pki_port>/api/v1/pki/…``: the port is chosen once, free, when the demo is provisioned, and
kept in ``demo.json``; whichever simulator serves the demo (``ibhxh demo`` on its free port, ``ibhxh sim serve
--seed demo``) also listens there, so the URLs in the certificates stay valid for the life of the demo.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from tui_ibhxh.core.models import Contact, Unit
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.p11kit import SOFTHSM_MODULE as SOFTHSM_MODULE  # the demo config names it
from tui_ibhxh.services.paths import AppPaths, app_paths

DEMO_TOKEN_LABEL = "DEMO TOKEN"
DEMO_PIN = "123456"  # documented demo PIN (README); a demo token only
DEMO_SO_PIN = "12345678"
SOFTHSM_UTIL = "softhsm2-util"
DEMO_IVAN_URL = "http://127.0.0.1:8765"

DEMO_CA_NAME = "demo-ca"  # the CRL is at /api/v1/pki/demo-ca.crl
#: where the demo's fixed PKI port is drawn from: below Linux's ephemeral range (32768-60999), so an outgoing
#: connection never holds it by chance
PKI_PORTS = range(20000, 32000)

DEMO_UNIT = Unit(
    ma_dvi="TA1234A",
    mst="0101234565",
    ten_dvi="Công ty TNHH ABC",
    diadiem="Hà Nội",
    co_quan_bhxh="BHXH cơ sở Cầu Giấy",
    ma_co_quan_bhxh="903",
    loai_doi_tuong="1",
    nguoi_ky="Trần Văn Bình",
)
DEMO_IVAN_NAME = "I-VAN demo tui-ibhxh (KHÔNG DÙNG THẬT)"
DEMO_IVAN_CODE = "00099"
DEMO_CONTACT = Contact(
    diachi_lhe="Số 1 Trần Duy Hưng, phường Cầu Giấy, Hà Nội",
    dien_thoai="0912345678",
    email="ketoan@abc.vn",
    nguoi_lhe="Nguyễn Văn A",
)
OTHER_MST = "0309876547"


def make_name(cn: str, o: str, l_: str | None, st: str | None, uid: str | None, ou: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if st:
        attrs.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, st))
    if l_:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, l_))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, o))
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    if uid:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, uid))
    return x509.Name(attrs)


CA_NAME = make_name(
    "DEMO CA tui-ibhxh (KHÔNG DÙNG THẬT)", "Demo tui-ibhxh", None, None, None, ou="Chỉ dùng để thử nghiệm"
)
# post-2025 administrative names (districts abolished on 1 July 2025): ward/commune (L) + province (ST)
BHXH_NAME = make_name(
    "BẢO HIỂM XÃ HỘI VIỆT NAM (DEMO)", "Bảo hiểm xã hội Việt Nam", "Phường Ba Đình", "Thành phố Hà Nội", None
)
ABC_NAME = make_name(
    "CONG TY TNHH ABC", "Công ty TNHH ABC", "Phường Cầu Giấy", "Thành phố Hà Nội", f"MST:{DEMO_UNIT.mst}"
)
XYZ_NAME = make_name(
    "CONG TY CO PHAN XYZ", "Công ty Cổ phần XYZ", "Phường Sài Gòn", "Thành phố Hồ Chí Minh", f"MST:{OTHER_MST}"
)
DIRECTOR_CCCD = "001080012345"
#: a person's certificate issued inside the company (as MobiFone IT's above in DOMAIN.md): not the unit's
DIRECTOR_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Thành phố Hà Nội"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Công ty TNHH ABC"),
        x509.NameAttribute(NameOID.TITLE, "Giám đốc"),
        x509.NameAttribute(  # telephoneNumber: a PrintableString, as X.520 says
            x509.ObjectIdentifier("2.5.4.20"), "0912345678", _type=_ASN1Type.PrintableString
        ),
        x509.NameAttribute(NameOID.COMMON_NAME, "NGUYỄN VĂN AN"),
        x509.NameAttribute(NameOID.USER_ID, f"MST:{DEMO_UNIT.mst}"),
        x509.NameAttribute(NameOID.USER_ID, f"CCCD:{DIRECTOR_CCCD}"),
    ]
)


@dataclass(frozen=True)
class DemoCert:
    """One certificate the demo puts on the token."""

    key: str  # "registered" | "new" | "ca" | "other" | "revoked" | "director"
    label: str
    cka_id: bytes | None  # None: no key pair (the CA certificate)
    subject: x509.Name
    not_before_days: int  # relative to provisioning time
    not_after_days: int


DEMO_CERTS = (
    DemoCert("registered", "Chứng thư số Công ty TNHH ABC (đang đăng ký)", b"\x01", ABC_NAME, -358, 7),
    DemoCert("new", "Chứng thư số Công ty TNHH ABC (mới)", b"\x02", ABC_NAME, -1, 730),
    DemoCert("ca", "DEMO CA tui-ibhxh", None, CA_NAME, 0, 0),
    DemoCert("other", "Chứng thư số Công ty Cổ phần XYZ", b"\x04", XYZ_NAME, -30, 335),
    DemoCert("revoked", "Chứng thư số Công ty TNHH ABC (đã bị thu hồi)", b"\x05", ABC_NAME, -60, 670),
    DemoCert("director", "Chứng thư cá nhân Giám đốc Nguyễn Văn An", b"\x06", DIRECTOR_NAME, -20, 710),
)


@dataclass(frozen=True)
class DemoMaterial:
    """What other parts (simulator seed, tests) need from a provisioned demo."""

    dir: Path
    softhsm2_conf: Path
    ca_pem: Path
    bhxh_cert_pem: Path
    bhxh_key_pem: Path
    registered_cert_der: bytes
    new_cert_der: bytes
    unit: Unit
    contact: Contact
    pin: str = DEMO_PIN
    token_label: str = DEMO_TOKEN_LABEL
    ca_key_pem: Path | None = None
    pki_port: int = 0  # 0: a demo provisioned before its certificates named CRL/OCSP URLs
    revoked_serials: tuple[str, ...] = ()  # upper-case hex

    @property
    def pki_url(self) -> str:
        """The base of the demo CA's CRL and OCSP URLs ("" when the demo has none)."""
        return pki_base(self.pki_port) if self.pki_port else ""


def demo_dir(paths: AppPaths | None = None) -> Path:
    return (paths or app_paths()).demo_dir


def _state_file(d: Path) -> Path:
    return d / "demo.json"


def is_provisioned(paths: AppPaths | None = None) -> bool:
    d = demo_dir(paths)
    return _state_file(d).exists() and (d / "tokens").is_dir() and any((d / "tokens").iterdir())


def demo_material(paths: AppPaths | None = None) -> DemoMaterial:
    d = demo_dir(paths)
    try:
        state = json.loads(_state_file(d).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UserError("demo.not_provisioned", home=d) from None
    return DemoMaterial(
        dir=d,
        softhsm2_conf=d / "softhsm2.conf",
        ca_pem=d / "ca.pem",
        bhxh_cert_pem=d / "bhxh.pem",
        bhxh_key_pem=d / "bhxh.key.pem",
        registered_cert_der=(d / "registered.der").read_bytes(),
        new_cert_der=(d / "new.der").read_bytes(),
        unit=DEMO_UNIT,
        contact=DEMO_CONTACT,
        pin=str(state.get("pin", DEMO_PIN)),
        ca_key_pem=d / "ca.key.pem",
        pki_port=int(state.get("pki_port", 0)),
        revoked_serials=tuple(str(s) for s in state.get("revoked", [])),
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _write_pair(d: Path, stem: str, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    """``stem.pem`` (certificate) and ``stem.key.pem`` (private key, 0600)."""
    (d / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(d / f"{stem}.key.pem", pkcs8)


def pki_base(port: int) -> str:
    """``http://127.0.0.1:PORT/api/v1/pki``: where the demo CA's revocation data lives."""
    return f"http://127.0.0.1:{port}/api/v1/pki"


def choose_pki_port() -> int:
    """A loopback port free now, outside the ephemeral range: the demo CA's fixed CRL/OCSP address."""
    rng = random.SystemRandom()
    for _ in range(50):
        port = rng.choice(PKI_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise UserError("demo.no_pki_port")


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issue_certificate(
    subject: x509.Name,
    public_key: rsa.RSAPublicKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    not_before: dt.datetime,
    not_after: dt.datetime,
    *,
    ca: bool,
    usage: x509.KeyUsage | None = None,
    pki_url: str = "",
) -> x509.Certificate:
    """A certificate of the demo CA; with ``pki_url``, naming its CRL distribution point and OCSP responder."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if ca:
        usage = usage or x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    else:
        usage = usage or x509.KeyUsage(True, True, False, False, False, False, False, False, False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    builder = builder.add_extension(usage, critical=True)
    if pki_url and not ca:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(f"{pki_url}/{DEMO_CA_NAME}.crl")], None, None, None
                    )
                ]
            ),
            critical=False,
        ).add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(f"{pki_url}/ocsp")
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _softhsm(conf: Path, *args: str) -> subprocess.CompletedProcess[str]:
    util = shutil.which(SOFTHSM_UTIL)
    if util is None or not Path(SOFTHSM_MODULE).exists():
        raise UserError("demo.softhsm_missing", path=SOFTHSM_MODULE)
    env = dict(os.environ, SOFTHSM2_CONF=str(conf))
    return subprocess.run([util, *args], env=env, capture_output=True, text=True, check=False)


def write_softhsm_conf(d: Path) -> Path:
    tokens = d / "tokens"
    tokens.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = d / "softhsm2.conf"
    conf.write_text(
        f"# SoftHSM2 configuration of the tui-ibhxh demo\n"
        f"directories.tokendir = {tokens}\n"
        f"objectstore.backend = file\n"
        f"log.level = ERROR\n"
        f"slots.removable = true\n",
        encoding="utf-8",
    )
    return conf


def provision(paths: AppPaths | None = None, *, now: dt.datetime | None = None) -> tuple[DemoMaterial, bool]:
    """Provision the demo if needed. Returns (material, created_now)."""
    paths = paths or app_paths()
    paths.ensure()
    if is_provisioned(paths):
        material = demo_material(paths)
        _write_config(paths, material, overwrite=False)
        if not example_dossier_path(material.dir).exists():  # demos made before the example existed
            write_example_dossier(material, dt.date.today())
        return material, False
    d = paths.demo_dir
    if d.exists():
        shutil.rmtree(d)  # a half-made demo from an interrupted run
    d.mkdir(parents=True, mode=0o700)
    conf = write_softhsm_conf(d)
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    pki_port = choose_pki_port()
    pki_url = pki_base(pki_port)

    ca_key = new_rsa_key()
    ca_cert = issue_certificate(
        CA_NAME,
        ca_key.public_key(),
        CA_NAME,
        ca_key,
        now - dt.timedelta(days=365),
        now + dt.timedelta(days=3650),
        ca=True,
    )
    _write_pair(d, "ca", ca_key, ca_cert)
    bhxh_key = new_rsa_key()
    bhxh_cert = issue_certificate(
        BHXH_NAME,
        bhxh_key.public_key(),
        CA_NAME,
        ca_key,
        now - dt.timedelta(days=30),
        now + dt.timedelta(days=1825),
        ca=False,
        pki_url=pki_url,
    )
    _write_pair(d, "bhxh", bhxh_key, bhxh_cert)

    res = _softhsm(
        conf,
        "--init-token",
        "--free",
        "--label",
        DEMO_TOKEN_LABEL,
        "--so-pin",
        DEMO_SO_PIN,
        "--pin",
        DEMO_PIN,
    )
    if res.returncode != 0:
        raise UserError("demo.token_failed", reason=(res.stderr or res.stdout).strip()[:200])
    ders = _fill_token(conf, ca_cert, ca_key, now, pki_url)
    (d / "registered.der").write_bytes(ders["registered"])
    (d / "new.der").write_bytes(ders["new"])
    revoked = format(x509.load_der_x509_certificate(ders["revoked"]).serial_number, "X")
    state = {
        "provisioned_at": now.isoformat(),
        "token": DEMO_TOKEN_LABEL,
        "pin": DEMO_PIN,
        "pki_port": pki_port,
        "revoked": [revoked.zfill(len(revoked) + len(revoked) % 2)],
    }
    _state_file(d).write_text(json.dumps(state, indent=2), encoding="utf-8")
    material = demo_material(paths)
    _write_config(paths, material, overwrite=False)
    write_example_dossier(material, now.date())
    return material, True


def example_dossier_path(d: Path) -> Path:
    return d / "ho-so-mau-05-SD-IVAN.xml"


def write_example_dossier(m: DemoMaterial, day: dt.date) -> Path:
    """An unsigned change dossier (registered → new demo certificate) to try ``ibhxh sign`` / ``verify`` on."""
    import uuid

    from tui_ibhxh.core.certs import parse_certificate
    from tui_ibhxh.core.dossier import CertSummary, ChangeDossier, build_dossier

    new, old = parse_certificate(m.new_cert_der), parse_certificate(m.registered_cert_der)
    dossier = ChangeDossier(
        unit=m.unit,
        contact=m.contact,
        ngay_lap=day,
        ten_ivan=DEMO_IVAN_NAME,
        new_cert=CertSummary.from_cert(new),
        old_cert=CertSummary.from_cert(old),
        ma_yeucau=str(uuid.uuid5(uuid.NAMESPACE_OID, f"tui-ibhxh-demo-example-{new.serial}")),
    )
    path = example_dossier_path(m.dir)
    path.write_bytes(build_dossier(dossier))
    return path


def _fill_token(
    conf: Path, ca_cert: x509.Certificate, ca_key: rsa.RSAPrivateKey, now: dt.datetime, pki_url: str
) -> dict[str, bytes]:
    """Generate the key pairs on the token and store the certificates (python-pkcs11, one session)."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

    os.environ["SOFTHSM2_CONF"] = str(conf)
    lib = pkcs11.lib(os.path.realpath(SOFTHSM_MODULE))  # the path TokenService uses: one load per process
    lib.reinitialize()
    token = lib.get_token(token_label=DEMO_TOKEN_LABEL)
    ders: dict[str, bytes] = {}
    with token.open(rw=True, user_pin=DEMO_PIN) as session:
        for spec in DEMO_CERTS:
            if spec.cka_id is None:
                cert = ca_cert
            else:
                pub, _priv = session.generate_keypair(
                    KeyType.RSA,
                    2048,
                    id=spec.cka_id,
                    label=spec.label,
                    store=True,
                    private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
                )
                numbers = rsa.RSAPublicNumbers(
                    int.from_bytes(pub[Attribute.PUBLIC_EXPONENT], "big"),
                    int.from_bytes(pub[Attribute.MODULUS], "big"),
                )
                cert = issue_certificate(
                    spec.subject,
                    numbers.public_key(),
                    CA_NAME,
                    ca_key,
                    now + dt.timedelta(days=spec.not_before_days),
                    now + dt.timedelta(days=spec.not_after_days),
                    ca=False,
                    pki_url=pki_url,
                )
            der = cert.public_bytes(serialization.Encoding.DER)
            template = {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: False,
                Attribute.LABEL: spec.label,
                Attribute.VALUE: der,
                Attribute.SUBJECT: cert.subject.public_bytes(),
                Attribute.ISSUER: cert.issuer.public_bytes(),
            }
            if spec.cka_id is not None:
                template[Attribute.ID] = spec.cka_id
            session.create_object(template)
            ders[spec.key] = der
    lib.reinitialize()
    return ders


def _sha256_hex(der: bytes) -> str:
    import hashlib

    return hashlib.sha256(der).hexdigest().upper()


def _write_config(paths: AppPaths, m: DemoMaterial, *, overwrite: bool) -> None:
    path = paths.config_file
    if path.exists() and not overwrite:
        return
    u = m.unit
    text = f"""# tui-ibhxh configuration written by `ibhxh demo` (demo token + local I-VAN simulator).
# Comments and keys you add here are kept when the app saves.
default_unit = "demo"

[ivan]
# the embedded simulator (`ibhxh demo` starts it; `ibhxh sim serve --seed demo` too)
url = "{DEMO_IVAN_URL}"
name = "{DEMO_IVAN_NAME}"   # TEN_IVAN / TenIVAN in every dossier
code = "{DEMO_IVAN_CODE}"   # MaIVAN
provider = "tui-ibhxh"      # the I-VAN's API: this protocol (IVAN_PROTOCOL.md)
trust_anchors = ["{m.ca_pem}"]
bhxh_certificate = "{m.bhxh_cert_pem}"
connect_timeout = 5
read_timeout = 30

[token]
modules = ["{SOFTHSM_MODULE}"]
softhsm2_conf = "{m.softhsm2_conf}"
poll_interval = 1.0

[units.demo]
ma_dvi = "{u.ma_dvi}"
mst = "{u.mst}"
ten_dvi = "{u.ten_dvi}"
diadiem = "{u.diadiem}"
co_quan_bhxh = "{u.co_quan_bhxh}"
ma_co_quan_bhxh = "{u.ma_co_quan_bhxh}"   # the BHXH office's code (CoQuanQuanLy)
loai_doi_tuong = "{u.loai_doi_tuong}"
nguoi_ky = "{u.nguoi_ky}"   # who signs the dossiers for the unit (NguoiKy)
# SHA-256 of the certificate registered with the I-VAN (updated after each accepted change)
registered_cert_sha256 = "{_sha256_hex(m.registered_cert_der)}"

[ui]
language = "vi"
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def reset(paths: AppPaths | None = None) -> None:
    """Remove the demo state (token store, keys, simulator db) and the demo config."""
    paths = paths or app_paths()
    if paths.demo_dir.exists():
        shutil.rmtree(paths.demo_dir)
    cfg = paths.config_file
    if cfg.exists() and cfg.read_text(encoding="utf-8").startswith("# tui-ibhxh configuration written by `ibhxh demo`"):
        cfg.unlink()
