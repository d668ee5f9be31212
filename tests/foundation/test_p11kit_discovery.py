"""Module discovery follows p11-kit's rules (pkcs11.conf(5)) on temporary registries, never the host's:
enable-in/disable-in, no trust store, relative paths in the platform's module directory, the user's own
modules, and the p11-kit client when a token is forwarded over SSH."""

from __future__ import annotations

import json
import os
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import DemoEnv
from tui_ibhxh.demo import DEMO_CERTS, DEMO_TOKEN_LABEL, SOFTHSM_MODULE
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.p11kit import (
    Places,
    discover_modules,
    enabled_here,
    forwarding_module,
    module_configs,
    parse_module_config,
    registered_modules,
)
from tui_ibhxh.services.token import TokenService

# Debian's p11-kit-modules registers its trust store like this (only for the p11-kit proxy to skip it)
TRUST_MODULE_FILE = """# This is a module config for the 'included' p11-kit trust module
module: p11-kit-trust.so
priority: 1
trust-policy: yes
x-trust-lookup: pkcs11:library-description=PKCS%2311%20Kit%20Trust%20Module
disable-in: p11-kit-proxy
x-init-reserved:
"""
HOST_MODULE_DIR = Places.from_env({}).module_dir  # where this machine's p11-kit-modules put its .so files


def places(
    tmp_path: Path,
    *,
    multiarch: str = "x86_64-linux-gnu",
    runtime_dir: Path | None = None,
    server_address: str | None = None,
) -> Places:
    return Places(tmp_path / "root", tmp_path / "home", runtime_dir, server_address, multiarch)


def module_file(directory: Path, name: str, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.module").write_text(text, encoding="utf-8")


def library(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x7fELF")
    return path


def test_parse_and_enable_rules() -> None:
    conf = parse_module_config("# comment\nmodule: a.so\n\nenable-in: firefox, ibhxh\nbroken line\n")
    assert conf == {"module": "a.so", "enable-in": "firefox, ibhxh"}
    assert enabled_here({})
    assert enabled_here({"enable-in": "firefox,tui-ibhxh"}) and not enabled_here({"enable-in": "firefox"})
    assert not enabled_here({"disable-in": "ibhxh gnome-shell"}) and enabled_here({"disable-in": "p11-kit-proxy"})
    assert not enabled_here({"enable-in": "ibhxh-old"})  # whole names only, as p11-kit compares them
    # p11-kit: with both set, enable-in decides
    assert enabled_here({"enable-in": "ibhxh", "disable-in": "ibhxh"})


def test_trust_store_never_and_rules_honoured(tmp_path: Path) -> None:
    p = places(tmp_path, multiarch="aarch64-linux-gnu")  # not hard-coded x86_64: the platform's own directory
    package = p.system("/usr/share/p11-kit/modules")
    moddir = p.system("/usr/lib/aarch64-linux-gnu/pkcs11")
    for name in ("p11-kit-trust.so", "opensc-pkcs11.so", "only-firefox.so", "not-here.so", "plain.so"):
        library(moddir / name)
    vendor = library(tmp_path / "opt" / "vendor" / "libvendor.so.1.0.0")
    module_file(package, "p11-kit-trust", TRUST_MODULE_FILE)
    module_file(package, "opensc-pkcs11", "module: opensc-pkcs11.so\n")
    module_file(package, "only-firefox", "module: only-firefox.so\nenable-in: firefox\n")
    module_file(package, "not-here", "module: not-here.so\ndisable-in: ibhxh\n")
    module_file(package, "plain", "module: plain.so\n")
    module_file(package, "remote", "remote: |ssh host p11-kit remote pkcs11:\n")  # no path: p11-kit's business
    module_file(p.system("/etc/pkcs11/modules"), "vendor", f"module: {vendor}\n")
    (package / "README").write_text("module: ignored.so\n", encoding="utf-8")  # only *.module files count
    assert p.module_dir == moddir
    assert registered_modules(p) == [moddir / "opensc-pkcs11.so", moddir / "plain.so", vendor]
    assert discover_modules(p) == [moddir / "opensc-pkcs11.so", moddir / "plain.so", vendor]


def test_user_modules_and_user_config(tmp_path: Path) -> None:
    p = places(tmp_path)
    moddir = p.system("/usr/lib/x86_64-linux-gnu/pkcs11")
    package = p.system("/usr/share/p11-kit/modules")
    user = p.home / ".config/pkcs11/modules"
    library(moddir / "opensc-pkcs11.so")
    mine = library(p.home / "tokens" / "libmine.so")
    module_file(package, "opensc-pkcs11", "module: opensc-pkcs11.so\n")
    module_file(user, "mine", f"module: {mine}\n")
    module_file(user, "opensc-pkcs11", "disable-in: ibhxh\n")  # the user's file overrides a key of the package's
    assert module_configs(p)["opensc-pkcs11"] == {"disable-in": "ibhxh", "module": "opensc-pkcs11.so"}
    assert discover_modules(p) == [mine]
    conf = p.system("/etc/pkcs11/pkcs11.conf")
    conf.parent.mkdir(parents=True)
    conf.write_text("user-config: none\n", encoding="utf-8")  # the administrator forbids user modules
    assert discover_modules(p) == [moddir / "opensc-pkcs11.so"]
    conf.write_text("user-config: only\n", encoding="utf-8")
    assert discover_modules(p) == [mine]


def test_softhsm_added_once_whatever_the_path(tmp_path: Path) -> None:
    p = places(tmp_path)
    real = library(p.system("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"))
    p.softhsm.parent.mkdir(parents=True)
    p.softhsm.symlink_to(real)
    module_file(p.system("/usr/share/p11-kit/modules"), "softhsm2", f"module: {real}\n")
    assert discover_modules(p) == [real]


def test_forwarding_detected_from_the_address_or_the_default_socket(tmp_path: Path) -> None:
    p = places(tmp_path, runtime_dir=tmp_path / "run")
    assert forwarding_module(p) is None
    socket = tmp_path / "run" / "p11-kit" / "pkcs11"
    socket.parent.mkdir(parents=True)
    socket.write_bytes(b"")
    assert forwarding_module(p) == p.module_dir / "p11-kit-client.so"
    addressed = places(tmp_path, server_address="unix:path=/run/user/1000/p11-kit/pkcs11-42")
    assert forwarding_module(addressed) == addressed.module_dir / "p11-kit-client.so"
    assert Places.from_env({"XDG_RUNTIME_DIR": str(tmp_path / "run")}).default_socket == socket


def test_forwarding_without_the_client_module_says_what_to_install(tmp_path: Path) -> None:
    p = places(tmp_path, server_address="unix:path=/nowhere")
    service = TokenService([], places=p)
    try:
        with pytest.raises(UserError) as info:
            service.list_tokens_sync()
        assert info.value.key == "token.forward_no_client"
        assert "p11-kit-modules" in info.value.message("vi") and "p11-kit-client.so" in info.value.message("en")
    finally:
        service.close()


def debian_like_root(tmp_path: Path) -> Path:
    """A registry as Debian's p11-kit-modules, softhsm2 and opensc packages write it, with the real modules."""
    root = tmp_path / "root"
    arch = sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu"
    moddir = root / "usr" / "lib" / arch / "pkcs11"
    moddir.mkdir(parents=True)
    trust = HOST_MODULE_DIR / "p11-kit-trust.so"
    assert trust.exists(), "bootstrap installs p11-kit-modules"
    (moddir / "p11-kit-trust.so").symlink_to(trust)
    package = root / "usr" / "share" / "p11-kit" / "modules"
    module_file(package, "p11-kit-trust", TRUST_MODULE_FILE)
    module_file(package, "softhsm2", f"module: {os.path.realpath(SOFTHSM_MODULE)}\n")
    return root


def test_system_trust_is_not_a_token(demo_env: DemoEnv, tmp_path: Path) -> None:
    """The regression: with p11-kit-modules installed, "System Trust" was listed as a token and its ~144 root CAs
    as the token's certificates."""
    home = tmp_path / "home"
    home.mkdir()
    env = {**demo_env.env, "IBHXH_HOME": str(home), "IBHXH_PKCS11_ROOT": str(debian_like_root(tmp_path))}
    config = home / "config" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'[token]\nsofthsm2_conf = "{demo_env.material.softhsm2_conf}"\n', encoding="utf-8")
    probe = DemoEnv(home=home, env=env)
    tokens = probe.run("tokens", "--json")
    assert tokens.returncode == 0, tokens.stderr
    assert [t["label"] for t in json.loads(tokens.stdout)] == [DEMO_TOKEN_LABEL]
    certs = probe.run("certs", "--json")
    assert certs.returncode == 0, certs.stderr
    assert len(json.loads(certs.stdout)) == len(DEMO_CERTS)  # the demo token's, no system root CA
    # an older config that remembered the trust store by path: skipped; adding it by hand: refused in words
    config.write_text(
        f'[token]\nmodules = ["{HOST_MODULE_DIR / "p11-kit-trust.so"}", "{SOFTHSM_MODULE}"]\n'
        f'softhsm2_conf = "{demo_env.material.softhsm2_conf}"\n',
        encoding="utf-8",
    )
    assert [t["label"] for t in json.loads(probe.run("tokens", "--json").stdout)] == [DEMO_TOKEN_LABEL]
    refused = probe.run("tokens", "--add-module", str(HOST_MODULE_DIR / "p11-kit-trust.so"))
    assert refused.returncode == 1 and "không phải token" in refused.stderr, refused.stderr
