"""config.toml: read with the standard library's tomllib (every start reads it, and tomlkit's import alone costs
more than the whole parse); edited and written with tomlkit, parsed again from the text only then, so that the
user's comments and unknown keys survive a save.

Layout (every section optional)::

    default_unit = "demo"

    [ivan]
    url = "https://ivan.example.vn"
    name = "Công ty I-VAN ABC"           # TEN_IVAN / TenIVAN in every dossier
    code = "00040"                       # MaIVAN
    provider = "tui-ibhxh"               # which API the I-VAN speaks (services.providers)
    trust_anchors = ["/path/ca.pem"]     # CA certificates a unit certificate must chain to
    bhxh_certificate = "/path/bhxh.pem"  # verifies BHXH's confirmations
    ca_bundle = ""                       # extra TLS CA bundle
    connect_timeout = 10
    read_timeout = 30
    poll_interval = 10.0                 # seconds between polls of the history while the event stream is down

    [revocation]
    timeout = 5.0             # seconds for one OCSP or CRL fetch (answers are cached until their nextUpdate)

    [token]
    modules = []              # PKCS#11 modules; empty: p11-kit's modules, plus SoftHSM if installed
                              # (+ p11-kit-client.so when a token is forwarded over SSH)
    softhsm2_conf = ""        # SOFTHSM2_CONF for SoftHSM (the demo sets it)
    poll_interval = 1.0       # seconds between two looks at the tokens plugged in

    [units.demo]
    ma_dvi = "TA1234A"
    mst = "0101234565"
    ten_dvi = "Công ty TNHH ABC"
    diadiem = "Hà Nội"
    co_quan_bhxh = "BHXH cơ sở Cầu Giấy"
    ma_co_quan_bhxh = "903"         # the BHXH office's code (CoQuanQuanLy of the envelope)
    loai_doi_tuong = "1"
    nguoi_ky = "Trần Văn Bình"      # who signs for the unit (NguoiKy of the envelope)
    registered_cert_sha256 = ""     # the registration last seen at the I-VAN, written by the app,
    registered_cert_serial = ""     # for checks without network (`ibhxh check`, SAME_AS_REGISTERED)
    registered_cert_not_after = ""  # ISO 8601 with offset

    [ui]
    language = "vi"
    theme = "textual-dark"    # any Textual theme; "ansi-dark" uses the terminal's own 16 colours
    mouse = true              # false: the terminal keeps the mouse (select and copy over SSH)
    [ui.keymap]
    submit = "f5"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_ibhxh.core.models import Unit
from tui_ibhxh.core.validation import mst_ok
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.p11kit import discover_modules
from tui_ibhxh.services.paths import AppPaths, app_paths

if TYPE_CHECKING:
    from tomlkit.toml_document import TOMLDocument

#: the I-VAN API implementations `[ivan] provider` may name (services.providers)
DEFAULT_PROVIDER = "tui-ibhxh"


@dataclass
class IvanConfig:
    url: str = ""
    name: str = ""  # TEN_IVAN / TenIVAN of every dossier
    code: str = ""  # MaIVAN
    provider: str = DEFAULT_PROVIDER
    trust_anchors: list[Path] = field(default_factory=list)
    bhxh_certificate: Path | None = None
    ca_bundle: Path | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    poll_interval: float = 10.0  # the history, while the I-VAN's event stream is down


@dataclass
class RevocationConfig:
    timeout: float = 5.0  # one OCSP request or CRL download, whole


@dataclass
class TokenConfig:
    modules: list[Path] = field(default_factory=list)
    softhsm2_conf: Path | None = None
    poll_interval: float = 1.0


@dataclass
class UnitProfile:
    name: str
    unit: Unit
    registered_cert_sha256: str = ""
    registered_cert_serial: str = ""
    registered_cert_not_after: str = ""  # ISO 8601; cached from the I-VAN for offline checks

    @property
    def registered_not_after(self) -> datetime | None:
        """The cached expiry of the registered certificate (checked when the config was read)."""
        try:
            return datetime.fromisoformat(self.registered_cert_not_after) if self.registered_cert_not_after else None
        except ValueError:
            return None


@dataclass
class UiConfig:
    language: str = "vi"
    theme: str = "textual-dark"
    mouse: bool = True
    keymap: dict[str, str] = field(default_factory=dict)


@dataclass
class Config:
    path: Path
    ivan: IvanConfig = field(default_factory=IvanConfig)
    token: TokenConfig = field(default_factory=TokenConfig)
    revocation: RevocationConfig = field(default_factory=RevocationConfig)
    units: dict[str, UnitProfile] = field(default_factory=dict)
    default_unit: str = ""
    ui: UiConfig = field(default_factory=UiConfig)
    #: the file's text as read: its tomlkit document (comments kept) is made from it when a value is set
    source: str = field(default="", repr=False)
    _document: TOMLDocument | None = field(default=None, init=False, repr=False)
    #: where the app keeps its data, journal and logs beside this config (``--home``), given to every service
    paths: AppPaths = field(default_factory=app_paths, repr=False)

    @property
    def document(self) -> TOMLDocument:
        """The file as tomlkit edits it (imported here, not at start: only a save needs it)."""
        if self._document is None:
            import tomlkit

            self._document = tomlkit.parse(self.source)
        return self._document

    def unit(self, name: str | None = None) -> UnitProfile:
        """The named unit profile, else ``default_unit``, else the only one."""
        if not self.units:
            raise UserError("config.no_unit", path=self.path)
        wanted = name or self.default_unit
        if wanted:
            if wanted not in self.units:
                raise UserError("config.unknown_unit", path=self.path, name=wanted)
            return self.units[wanted]
        return next(iter(self.units.values()))

    def module_paths(self) -> list[Path]:
        """Configured modules, or the p11-kit-registered ones plus SoftHSM when none is configured (a token
        forwarded over SSH comes on top, in the token service: it depends on the session, not the config)."""
        if self.token.modules:
            return list(self.token.modules)
        return discover_modules()


class _Reader:
    """Typed access to the TOML document that names the file and key in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, setting: str, problem: str) -> UserError:
        """``problem`` is a ``config.invalid.*`` key: the sentence about this file and setting."""
        return UserError(problem, path=self.path, setting=setting)

    def table(self, data: Mapping[str, Any], key: str, dotted: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(dotted, "config.invalid.table")
        return value

    def string(self, data: Mapping[str, Any], key: str, dotted: str, default: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            raise self.fail(dotted, "config.invalid.string")
        return str(value)

    def number(self, data: Mapping[str, Any], key: str, dotted: str, default: float) -> float:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.fail(dotted, "config.invalid.number")
        return float(value)

    def boolean(self, data: Mapping[str, Any], key: str, dotted: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(dotted, "config.invalid.boolean")
        return value

    def strings(self, data: Mapping[str, Any], key: str, dotted: str) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(dotted, "config.invalid.strings")
        return [str(v) for v in value]

    def time(self, data: Mapping[str, Any], key: str, dotted: str) -> str:
        """An ISO 8601 time with its offset, kept as written ("" when absent)."""
        value = self.string(data, key, dotted)
        try:
            if value and datetime.fromisoformat(value).tzinfo is None:
                raise ValueError(value)
        except ValueError:
            raise self.fail(dotted, "config.invalid.time") from None
        return value

    def path_or_none(self, data: Mapping[str, Any], key: str, dotted: str) -> Path | None:
        value = self.string(data, key, dotted)
        return Path(value).expanduser() if value else None


_UNIT_REQUIRED = ("ma_dvi", "mst", "ten_dvi")


def parse_config(text: str, path: Path, paths: AppPaths | None = None) -> Config:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raise _syntax_error(text, path) from None
    r = _Reader(path)
    cfg = Config(path=path, source=text, paths=paths or app_paths())
    ivan = r.table(doc, "ivan", "ivan")
    cfg.ivan = IvanConfig(
        url=r.string(ivan, "url", "ivan.url").rstrip("/"),
        name=r.string(ivan, "name", "ivan.name").strip(),
        code=r.string(ivan, "code", "ivan.code").strip(),
        provider=r.string(ivan, "provider", "ivan.provider", DEFAULT_PROVIDER).strip(),
        trust_anchors=[Path(p).expanduser() for p in r.strings(ivan, "trust_anchors", "ivan.trust_anchors")],
        bhxh_certificate=r.path_or_none(ivan, "bhxh_certificate", "ivan.bhxh_certificate"),
        ca_bundle=r.path_or_none(ivan, "ca_bundle", "ivan.ca_bundle"),
        connect_timeout=r.number(ivan, "connect_timeout", "ivan.connect_timeout", 10.0),
        read_timeout=r.number(ivan, "read_timeout", "ivan.read_timeout", 30.0),
        poll_interval=r.number(ivan, "poll_interval", "ivan.poll_interval", 10.0),
    )
    if cfg.ivan.url and not cfg.ivan.url.startswith(("http://", "https://")):
        raise r.fail("ivan.url", "config.invalid.url")
    revocation = r.table(doc, "revocation", "revocation")
    cfg.revocation = RevocationConfig(timeout=r.number(revocation, "timeout", "revocation.timeout", 5.0))
    token = r.table(doc, "token", "token")
    cfg.token = TokenConfig(
        modules=[Path(p).expanduser() for p in r.strings(token, "modules", "token.modules")],
        softhsm2_conf=r.path_or_none(token, "softhsm2_conf", "token.softhsm2_conf"),
        poll_interval=r.number(token, "poll_interval", "token.poll_interval", 1.0),
    )
    units = r.table(doc, "units", "units")
    for name, body in units.items():
        prefix = f"units.{name}"
        if not isinstance(body, Mapping):
            raise r.fail(prefix, "config.invalid.unit")
        for key in _UNIT_REQUIRED:
            if not r.string(body, key, f"{prefix}.{key}").strip():
                raise r.fail(f"{prefix}.{key}", "config.invalid.required")
        if not mst_ok(r.string(body, "mst", f"{prefix}.mst")):
            raise r.fail(f"{prefix}.mst", "config.invalid.mst")
        cfg.units[str(name)] = UnitProfile(
            name=str(name),
            unit=Unit(
                ma_dvi=r.string(body, "ma_dvi", f"{prefix}.ma_dvi").strip(),
                mst=r.string(body, "mst", f"{prefix}.mst").strip(),
                ten_dvi=r.string(body, "ten_dvi", f"{prefix}.ten_dvi").strip(),
                diadiem=r.string(body, "diadiem", f"{prefix}.diadiem").strip(),
                co_quan_bhxh=r.string(body, "co_quan_bhxh", f"{prefix}.co_quan_bhxh").strip(),
                ma_co_quan_bhxh=r.string(body, "ma_co_quan_bhxh", f"{prefix}.ma_co_quan_bhxh").strip(),
                loai_doi_tuong=r.string(body, "loai_doi_tuong", f"{prefix}.loai_doi_tuong", "1").strip(),
                nguoi_ky=r.string(body, "nguoi_ky", f"{prefix}.nguoi_ky").strip(),
            ),
            registered_cert_sha256=r.string(body, "registered_cert_sha256", f"{prefix}.registered_cert_sha256"),
            registered_cert_serial=r.string(body, "registered_cert_serial", f"{prefix}.registered_cert_serial"),
            registered_cert_not_after=r.time(body, "registered_cert_not_after", f"{prefix}.registered_cert_not_after"),
        )
    cfg.default_unit = r.string(doc, "default_unit", "default_unit")
    if cfg.default_unit and cfg.default_unit not in cfg.units:
        raise r.fail("default_unit", "config.invalid.default_unit")
    ui = r.table(doc, "ui", "ui")
    lang = r.string(ui, "language", "ui.language", "vi")
    if lang not in ("vi", "en"):
        raise r.fail("ui.language", "config.invalid.language")
    keymap = r.table(ui, "keymap", "ui.keymap")
    cfg.ui = UiConfig(
        language=lang,
        theme=r.string(ui, "theme", "ui.theme", "textual-dark"),
        mouse=r.boolean(ui, "mouse", "ui.mouse", True),
        keymap={str(k): r.string(keymap, k, f"ui.keymap.{k}") for k in keymap},
    )
    return cfg


def _syntax_error(text: str, path: Path) -> UserError:
    """The sentence for a file tomllib refused, with tomlkit's line, column and problem (its words are the ones
    the catalogues were written around; a broken config is rare enough to pay for tomlkit's import)."""
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        tomlkit.parse(text)
    except ParseError as exc:
        problem = str(exc).split(" at line ")[0]
        return UserError("config.syntax", path=path, line=exc.line, col=exc.col, problem=problem)
    except TOMLKitError as exc:
        return UserError("config.syntax", path=path, line="?", col="?", problem=str(exc))
    return UserError("config.syntax", path=path, line="?", col="?", problem="TOML")


def load_config(path: Path | None = None, *, paths: AppPaths | None = None) -> Config:
    """The config at ``path`` (default: the config file of ``paths``, by default the app's); a missing file is an
    empty config."""
    paths = paths or app_paths()
    path = path or paths.config_file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path, paths=paths)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError("config.unreadable", path=path, problem=exc.__class__.__name__) from None
    return parse_config(text, path, paths)


def load_config_quietly(path: Path | None = None, *, paths: AppPaths | None = None) -> Config | None:
    """The config, or None when it cannot be read (for choosing the language of the error message)."""
    try:
        return load_config(path, paths=paths)
    except UserError:
        return None


def set_value(cfg: Config, dotted: str, value: Any) -> None:
    """Set ``a.b.c`` in the document, creating tables as needed; comments and other keys stay."""
    *tables, last = dotted.split(".")
    import tomlkit

    node: Any = cfg.document
    for name in tables:
        if name not in node:
            node[name] = tomlkit.table()
        node = node[name]
    node[last] = value


def remember_module(cfg: Config, module: Path) -> bool:
    """Add a PKCS#11 module to ``[token] modules`` and save; False when it is already there. The first one added
    to an empty list brings along the modules in use until then (p11-kit's and SoftHSM), so none disappears."""
    current = [str(p) for p in cfg.module_paths()]
    if str(module) in current or os.path.realpath(module) in {os.path.realpath(p) for p in current}:
        return False
    import tomlkit

    token = cfg.document.get("token")
    modules = token.get("modules") if token is not None else None
    if not isinstance(modules, list) or not cfg.token.modules:
        modules = tomlkit.array()
        modules.extend(current)
        set_value(cfg, "token.modules", modules)
    modules.append(str(module))
    save_config(cfg)
    return True


def save_config(cfg: Config) -> None:
    """Write the document back atomically (0600); what the user wrote by hand is kept."""
    import tomlkit

    cfg.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = cfg.path.with_suffix(cfg.path.suffix + ".tmp")
    data = tomlkit.dumps(cfg.document)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, cfg.path)
    # re-read so the typed view matches what is on disk
    fresh = parse_config(data, cfg.path, cfg.paths)
    cfg.source = data
    cfg.ivan, cfg.token, cfg.revocation, cfg.units, cfg.default_unit, cfg.ui = (
        fresh.ivan,
        fresh.token,
        fresh.revocation,
        fresh.units,
        fresh.default_unit,
        fresh.ui,
    )
