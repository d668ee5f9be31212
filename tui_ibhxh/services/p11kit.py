"""The PKCS#11 modules of this machine as p11-kit sees them (pkcs11.conf(5)), and token forwarding over SSH.

Registry: ``*.module`` files in the user's ``~/.config/pkcs11/modules``, then ``/etc/pkcs11/modules``, then
``/usr/share/p11-kit/modules``; for one module name the first file that sets a key wins (p11-kit merges them
that way). ``user-config`` in ``pkcs11.conf`` decides whether the user's files count. A module is skipped when
``enable-in``/``disable-in`` rule this app out, and a trust store (``trust-policy: yes``, p11-kit-trust.so,
"System Trust") is never loaded: it lists the system's root CAs, not a token. Relative module paths live in the
platform's module directory (``/usr/lib/<multiarch>/pkcs11``).

Forwarding: ``p11-kit server`` on the user's machine exposes the token's module on a unix socket, ``ssh -R``
carries the socket to the server, and ``p11-kit-client.so`` here speaks to it. The client is loaded when
``P11_KIT_SERVER_ADDRESS`` is set or the default socket ``$XDG_RUNTIME_DIR/p11-kit/pkcs11`` exists.

Tests point everything at a temporary tree with ``IBHXH_PKCS11_ROOT`` (the directory standing for ``/``).
"""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

APP_NAMES = ("ibhxh", "tui-ibhxh")  # what enable-in / disable-in name this app by
CLIENT_MODULE = "p11-kit-client.so"
TRUST_MODULE = "p11-kit-trust.so"
ROOT_ENV = "IBHXH_PKCS11_ROOT"
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


@dataclass(frozen=True)
class Places:
    """Where this machine keeps PKCS#11 modules and their registry, read once from the environment."""

    root: Path
    home: Path
    runtime_dir: Path | None
    server_address: str | None
    multiarch: str | None
    pcscd_socket_env: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Places:
        env = os.environ if env is None else env
        runtime = env.get("XDG_RUNTIME_DIR", "")
        return cls(
            root=Path(env.get(ROOT_ENV) or "/"),
            home=Path(env.get("HOME") or Path.home()),
            runtime_dir=Path(runtime) if runtime else None,
            server_address=env.get("P11_KIT_SERVER_ADDRESS") or None,
            multiarch=sysconfig.get_config_var("MULTIARCH") or None,
            pcscd_socket_env=env.get("PCSCLITE_CSOCK_NAME") or None,
        )

    def system(self, path: str) -> Path:
        """A system path (``/usr/...``) under the root."""
        return self.root / path.lstrip("/")

    @property
    def registry_dirs(self) -> tuple[Path, Path, Path]:
        """User, system and package ``*.module`` directories, in p11-kit's order of precedence."""
        return (
            self.home / ".config/pkcs11/modules",
            self.system("/etc/pkcs11/modules"),
            self.system("/usr/share/p11-kit/modules"),
        )

    @property
    def lib_dirs(self) -> tuple[Path, ...]:
        """The platform's library directories (multiarch first), then the generic ones."""
        arch = (f"/usr/lib/{self.multiarch}",) if self.multiarch else ()
        return tuple(self.system(d) for d in (*arch, "/usr/lib64", "/usr/lib", "/usr/local/lib"))

    @property
    def module_dir(self) -> Path:
        """The platform's PKCS#11 module directory (p11-kit's ``p11_module_path``): relative paths live there."""
        candidates = [d / "pkcs11" for d in self.lib_dirs[:-1]]
        return next((d for d in candidates if d.is_dir()), candidates[0])

    @property
    def softhsm(self) -> Path:
        return self.system(SOFTHSM_MODULE)

    @property
    def pcscd_socket(self) -> Path:
        """pcsc-lite's socket (``PCSCLITE_CSOCK_NAME`` overrides it, as for pcsc-lite itself)."""
        return Path(self.pcscd_socket_env) if self.pcscd_socket_env else self.system("/run/pcscd/pcscd.comm")

    @property
    def default_socket(self) -> Path | None:
        """Where ``p11-kit-client.so`` looks for the server when ``P11_KIT_SERVER_ADDRESS`` is not set."""
        return self.runtime_dir / "p11-kit" / "pkcs11" if self.runtime_dir is not None else None


def parse_module_config(text: str) -> dict[str, str]:
    """``key: value`` lines of a p11-kit config file (``#`` comments; the last of a repeated key wins)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        key, sep, value = line.partition(":")
        if line.startswith("#") or not sep:
            continue
        fields[key.strip()] = value.strip()
    return fields


def _in_list(listing: str, names: tuple[str, ...]) -> bool:
    items = listing.replace(",", " ").split()
    return any(name in items for name in names)


def enabled_here(config: Mapping[str, str], names: tuple[str, ...] = APP_NAMES) -> bool:
    """p11-kit's rule: ``enable-in`` (if set) lists the programs that load the module, else ``disable-in`` lists
    those that do not; neither set: every program loads it."""
    if "enable-in" in config:
        return _in_list(config["enable-in"], names)
    if "disable-in" in config:
        return not _in_list(config["disable-in"], names)
    return True


def is_trust_module(path: Path | str, config: Mapping[str, str] | None = None) -> bool:
    """A trust store, not a token: never loaded (its "token" would list the system's root CAs)."""
    if config is not None and config.get("trust-policy", "").strip() == "yes":
        return True
    return Path(os.path.realpath(path)).name == TRUST_MODULE


def is_forwarding_module(path: Path | str) -> bool:
    """The p11-kit client: its tokens are on the user's own machine, reached over SSH."""
    return Path(os.path.realpath(path)).name == CLIENT_MODULE


def _read(path: Path) -> dict[str, str]:
    try:
        return parse_module_config(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return {}


def _user_config_mode(places: Places) -> str:
    """``user-config`` of pkcs11.conf: the user's file may override the system's; p11-kit's default is merge."""
    system = _read(places.system("/etc/pkcs11/pkcs11.conf")).get("user-config", "merge")
    if system == "none":
        return "none"
    return _read(places.home / ".config/pkcs11/pkcs11.conf").get("user-config", system)


def module_configs(places: Places) -> dict[str, dict[str, str]]:
    """Every registered module by name (the file name without ``.module``), its keys merged across directories."""
    user_dir, system_dir, package_dir = places.registry_dirs
    mode = _user_config_mode(places)
    dirs = {"none": [system_dir, package_dir], "only": [user_dir], "override": [user_dir]}.get(
        mode, [user_dir, system_dir, package_dir]
    )
    configs: dict[str, dict[str, str]] = {}
    for directory in dirs:
        try:
            entries = sorted(directory.glob("*.module"))
        except OSError:
            continue
        for entry in entries:
            merged = configs.setdefault(entry.name.removesuffix(".module"), {})
            for key, value in _read(entry).items():
                merged.setdefault(key, value)  # the more specific directory was read first
    return configs


def registered_modules(places: Places) -> list[Path]:
    """The modules p11-kit would load in this app: enabled here, with a ``module:`` path, not a trust store."""
    found: list[Path] = []
    for _name, config in sorted(module_configs(places).items()):
        module = config.get("module")
        if not module or not enabled_here(config) or is_trust_module(module, config):
            continue  # "remote:" modules have no path; p11-kit runs those itself
        path = Path(module)
        found.append(path if path.is_absolute() else places.module_dir / path)
    return found


def discover_modules(places: Places | None = None) -> list[Path]:
    """The default when ``[token] modules`` is empty: p11-kit's registered modules, plus SoftHSM if installed;
    only those present, one path per library (a second C_Initialize of one library fails)."""
    places = places or Places.from_env()
    found: list[Path] = []
    real: set[str] = set()
    for path in [*registered_modules(places), places.softhsm]:
        key = os.path.realpath(path)
        if path.exists() and key not in real and not is_trust_module(path):
            real.add(key)
            found.append(path)
    return found


def forwarding_module(places: Places | None = None) -> Path | None:
    """``p11-kit-client.so`` when a token is forwarded to this machine (server address set or default socket
    present), else None. The path is returned even when missing: the token service then says what to install."""
    places = places or Places.from_env()
    socket = places.default_socket
    if places.server_address or (socket is not None and socket.exists()):
        return places.module_dir / CLIENT_MODULE
    return None
