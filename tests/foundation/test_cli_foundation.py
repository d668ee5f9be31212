"""The done-when of the foundation: `ibhxh demo --provision-only && ibhxh certs --json` on a fresh home."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
import pytest

from tests.conftest import DemoEnv
from tests.support.cli import run_ibhxh


def test_provision_then_certs_json(demo_env: DemoEnv) -> None:
    res = demo_env.run("certs", "--json")
    assert res.returncode == 0, res.stderr
    rows: list[dict[str, Any]] = json.loads(res.stdout)
    assert len(rows) == 6  # (a)-(f) of the demo token
    m = demo_env.material
    by_der = {bytes.fromhex(r["sha256"]): r for r in rows}
    import hashlib

    def row(der: bytes) -> dict[str, Any]:
        return by_der[hashlib.sha256(der).digest()]

    registered, new = row(m.registered_cert_der), row(m.new_cert_der)
    ca = next(r for r in rows if r["is_ca"])
    other = next(r for r in rows if r["mst"] == "0309876547")
    # no simulator runs, so the demo CA's OCSP/CRL cannot be reached: said on every certificate it issued
    assert all(
        any(p["code"] == "REVOCATION_UNKNOWN" and p["detail"] == "offline" for p in r["problems"])
        for r in rows
        if not r["is_ca"]
    )

    def codes(r: dict[str, Any]) -> list[str]:
        return [p["code"] for p in r["problems"] if p["code"] != "REVOCATION_UNKNOWN"]

    assert codes(registered) == ["EXPIRES_SOON", "SAME_AS_REGISTERED"]
    assert 0 <= registered["problems"][0]["days"] <= 10 and not registered["usable"]
    assert codes(new) == [] and new["usable"] and new["has_private_key"] and new["mst"] == "0101234565"
    assert codes(ca)[:2] == ["NO_PRIVATE_KEY", "IS_CA"] and not ca["has_private_key"]
    assert codes(other) == ["MST_MISMATCH"]
    assert "O=Công ty TNHH ABC" in new["subject"] and "ST=Thành phố Hà Nội" in new["subject"]
    assert set(new) >= {
        "serial",
        "subject",
        "issuer",
        "not_before",
        "not_after",
        "sha256",
        "key_usage",
        "token_serial",
        "token_label",
        "label",
        "key_id",
        "problems",
        "usable",
        "personal_id",
        "common_name",
    }
    assert new["serial"] == new["serial"].upper()
    # Vietnamese by default; English with --lang en (before or after the command)
    assert "hết hạn" in registered["problems"][0]["message"]
    en = json.loads(demo_env.run("certs", "--json", "--lang", "en").stdout)
    assert any("expires in" in p["message"] for r in en for p in r["problems"])
    en2 = json.loads(demo_env.run("--lang", "en", "certs", "--json").stdout)
    assert en2 == en


def test_tokens_json_and_text(demo_env: DemoEnv) -> None:
    res = demo_env.run("tokens", "--json")
    assert res.returncode == 0, res.stderr
    [tok] = [t for t in json.loads(res.stdout) if t["label"] == "DEMO TOKEN"]
    assert set(tok) == {
        "module",
        "slot_id",
        "label",
        "manufacturer",
        "model",
        "serial",
        "login_required",
        "pin_count_low",
        "pin_final_try",
        "pin_locked",
        "pin_to_be_changed",
        "forwarded",
    }
    assert tok["forwarded"] is False  # a local token (SoftHSM), not one forwarded over SSH
    text = demo_env.run("tokens")
    assert "DEMO TOKEN" in text.stdout and "số sê-ri" in text.stdout
    certs = demo_env.run("certs", "--lang", "en")
    assert "[SAME_AS_REGISTERED]" in certs.stdout and "Serial" in certs.stdout


def test_provisioning_is_idempotent_and_stays_in_home(demo_env: DemoEnv) -> None:
    before = sorted(p.relative_to(demo_env.home) for p in demo_env.home.rglob("*") if p.is_file())
    res = demo_env.run("demo", "--provision-only")
    assert res.returncode == 0 and "đã có sẵn" in res.stderr
    after = sorted(p.relative_to(demo_env.home) for p in demo_env.home.rglob("*") if p.is_file())
    assert before == after
    assert all(str(p).split("/")[0] in ("config", "data") for p in after)
    assert (demo_env.home / "data" / "demo" / "ca.key.pem").stat().st_mode & 0o777 == 0o600


def test_bad_config_is_one_clear_line(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "h"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('[token]\nmodules = "/usr/lib/x.so"\n', encoding="utf-8")
    res = run_ibhxh("--home", str(home), "tokens")
    assert res.returncode == 1
    assert res.stderr.strip().count("\n") == 0 and "Traceback" not in res.stderr
    assert "token.modules" in res.stderr and "config.toml" in res.stderr


def test_missing_module_message_no_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "h"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('[token]\nmodules = ["/usr/lib/fptca_v4.so"]\n', encoding="utf-8")
    res = run_ibhxh("--home", str(home), "--lang", "en", "certs")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "PKCS#11 module /usr/lib/fptca_v4.so was not found" in res.stderr


def test_unexpected_error_is_a_sentence_and_a_log_file(monkeypatch, capsys, isolated_home) -> None:  # type: ignore[no-untyped-def]
    import tui_ibhxh.cli as cli

    def broken(ctx: cli.CliContext) -> int:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli, "_run_tui", broken)
    monkeypatch.setattr(cli, "has_terminal", lambda: True)
    assert cli.main(["--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ibhxh.log" in err
    assert "ZeroDivisionError" not in err  # a sentence for the user; the exception's name goes to the log
    assert "ZeroDivisionError" in (isolated_home / "log" / "ibhxh.log").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, click.Command]]:
    """Every command and group of ``ibhxh``, with its path."""
    from tui_ibhxh.cli import _load_commands, root

    _load_commands()

    def walk(cmd: click.Command, path: str) -> list[tuple[str, click.Command]]:
        found = [(path, cmd)]
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                found += walk(sub, f"{path} {name}")
        return found

    return walk(root, "ibhxh")


def test_no_command_takes_a_pin_as_an_argument() -> None:
    """A PIN in argv is visible to every local user (ps, /proc/*/cmdline): only --pin-stdin or a masked prompt."""
    commands = _commands()
    assert len(commands) > 10  # every command was walked
    pin_options = [(path, p) for path, cmd in commands for p in cmd.params if any("pin" in s.lower() for s in p.opts)]
    assert pin_options, "no --pin-stdin found: the walk is broken"
    for path, param in pin_options:
        assert isinstance(param, click.Option) and param.is_flag, f"{path} {param.opts} takes a value"
        assert param.opts == ["--pin-stdin"], (path, param.opts)


def test_global_options_before_or_after_every_command() -> None:
    """--lang, --home, --config and --verbose are taken before the command's name and after it, on every command
    (``ibhxh token change-pin`` too)."""
    for path, cmd in _commands():
        names = {opt for p in cmd.params for opt in p.opts}
        assert {"--lang", "--home", "--config", "--verbose"} <= names, path


def test_options_reach_the_commands_not_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--home and --config are given to the command as its directories; the process environment stays as it
    was, and the last one given wins (after the command name over before it)."""
    import tui_ibhxh.cli as cli

    seen: list[cli.CliContext] = []

    def capture(ctx: cli.CliContext) -> int:
        seen.append(ctx)
        return 0

    monkeypatch.setattr(cli, "_run_tui", capture)
    monkeypatch.setattr(cli, "has_terminal", lambda: True)
    monkeypatch.delenv("IBHXH_HOME")
    before = dict(os.environ)
    assert cli.main(["--home", str(tmp_path / "a"), "--config", str(tmp_path / "c.toml"), "--lang", "en"]) == 0
    assert dict(os.environ) == before
    [ctx] = seen
    assert ctx.lang == "en" and ctx.paths.data_dir == tmp_path / "a" / "data"
    assert ctx.paths.config_file == tmp_path / "c.toml"
    monkeypatch.setenv("IBHXH_HOME", str(tmp_path / "env"))
    assert cli.main([]) == 0 and seen[-1].paths.data_dir == tmp_path / "env" / "data"


def test_global_option_after_the_command_wins(demo_env: DemoEnv, tmp_path: Path) -> None:
    other = tmp_path / "other"
    res = demo_env.run("--home", str(other), "tokens", "--home", str(demo_env.home), "--lang", "en", "--json")
    assert res.returncode == 0, res.stderr
    assert any(tok["label"] == "DEMO TOKEN" for tok in json.loads(res.stdout))
    assert not other.exists()


def test_help_names_the_options_environment_and_log(demo_env: DemoEnv) -> None:
    res = demo_env.run("--help")
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    assert "IBHXH_HOME" in text and "IBHXH_CONFIG" in text
    assert str(demo_env.home / "log" / "ibhxh.log") in text
    for name in ("certs", "check", "demo", "export", "history", "receipt", "registration", "sign", "sim", "submit"):
        assert name in text
    assert demo_env.run("token", "--help").returncode == 0
    assert demo_env.run("sim").returncode == 0  # the simulator's help
    assert demo_env.run("--version").stdout.strip() == "tui-ibhxh 0.1.0"
    bad = demo_env.run("tokens", "--no-such-option")
    assert bad.returncode == 64 and "Traceback" not in bad.stderr  # EX_USAGE: 2 means "rejected by BHXH"


_HEAVY = '("aiohttp", "cryptography")'
_IMPORTS_PROBE = f"""
import sys
from tui_ibhxh import cli
code = cli.main(sys.argv[1:])
print("LOADED", *sorted(m for m in sys.modules if m.split(".")[0] in {_HEAVY}
      or m.startswith("tui_ibhxh.commands.")))
"""
# ``ibhxh`` without a command, up to the moment the app would start running (its run() replaced)
_TUI_PROBE = """
import sys
from tui_ibhxh import entry
from tui_ibhxh.ui.app import IbhxhApp

LATER = {f"tui_ibhxh.core.{m}" for m in ("dossier", "envelope", "receipt", "xmldsig", "certs", "revocation")} | {
    f"tui_ibhxh.services.{m}" for m in ("report", "revocation", "tokeninfo", "trust")} | {
    f"tui_ibhxh.ui.screens.{m}" for m in ("certificates", "contact", "confirm", "history", "help", "pending", "pin",
                                          "change_pin", "module")}

def run(self, **kwargs):
    print("LOADED", *sorted(m for m in sys.modules if m.split(".")[0] in ("aiohttp", "xmlsec", "cryptography", "lxml",
          "tomlkit", "click") or m.startswith(("tui_ibhxh.commands.", "tui_ibhxh.ivan_sim"))
          or m in LATER or m in ("importlib.resources", "tui_ibhxh.cli")))
    return 0

IbhxhApp.run = run
entry.has_terminal = lambda: True  # the probe's pipes are no terminal; the app would refuse to start
sys.exit(entry.main(sys.argv[1:]))
"""


def _loaded_by(*args: str, home: Path, probe: str = _IMPORTS_PROBE, env: dict[str, str] | None = None) -> set[str]:
    """The heavy libraries and command modules a run of ``ibhxh ARGS`` imported (in a fresh interpreter)."""
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-c", probe, "--home", str(home), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=60,
        env=env,
    )
    line = next((line for line in res.stdout.splitlines() if line.startswith("LOADED")), None)
    assert line is not None, res.stderr
    return set(line.split()[1:])


def test_help_imports_no_command_and_no_heavy_library(tmp_path: Path) -> None:
    """``ibhxh --help`` lists every command with its translated help without importing one of them (nor aiohttp
    or cryptography): the lazy root group reads the one-liners from the catalogues."""
    assert _loaded_by("--lang", "en", "--help", home=tmp_path) == set()


def test_a_command_imports_its_own_module_only(tmp_path: Path) -> None:
    from tui_ibhxh.cli import COMMANDS

    loaded = _loaded_by("--lang", "en", "verify", "--help", home=tmp_path)
    commands = {m.rsplit(".", 1)[1] for m in loaded if m.startswith("tui_ibhxh.commands.")}
    assert "verify" in commands
    assert not (commands - {"verify"}) & set(COMMANDS), commands


def test_every_command_module_is_listed() -> None:
    """A module added to tui_ibhxh/commands without a line in cli.COMMANDS would be a command nobody can run."""
    import tui_ibhxh.commands
    from tui_ibhxh.cli import COMMANDS, _load_commands, root

    package = Path(tui_ibhxh.commands.__file__).parent
    modules = {p.stem for p in package.glob("*.py") if not p.stem.startswith("_")}
    assert set(COMMANDS) == modules
    _load_commands()
    assert set(root.commands) == modules  # each module declares the command of its name


def test_help_lists_every_command_as_its_own_help_says(tmp_path: Path) -> None:
    """The listing of the lazy root (nothing imported) says for each command what the command's own help says."""
    from tui_ibhxh.cli import COMMANDS

    for lang in ("vi", "en"):
        listing = run_ibhxh("--lang", lang, "--help", env={**os.environ, "IBHXH_HOME": str(tmp_path)}).stdout
        for name in COMMANDS:
            own = run_ibhxh("--lang", lang, name, "--help", env={**os.environ, "IBHXH_HOME": str(tmp_path)}).stdout
            summary = " ".join(own.split("\n\n")[1].split())  # the paragraph under "Usage:"
            line = next(x for x in listing.splitlines() if x.strip().startswith(f"{name} "))
            assert " ".join(line.split()[1:]) in summary, (lang, name, line, summary)


def test_the_app_starts_without_the_commands_or_aiohttp(demo_env: DemoEnv) -> None:
    """``ibhxh`` (the TUI) on the demo: up to the app's start nothing imports click or cli.py (tui_ibhxh/entry.py
    opens the app), a command module, the simulator, aiohttp (the I-VAN client imports it with its first session),
    cryptography, the XML/XMLDSig code (lxml, xmlsec), the certificate checks, trust and revocation code (used once
    the token's certificates are read, after login), the report's words, the PIN lengths (ctypes), tomlkit (the
    config is read with tomllib; tomlkit only writes it), importlib.resources (the catalogues and the stylesheet
    are files beside the code), the screens of the later steps or the dialogs (help, PIN, module, pending
    dossier): startup time, see bench/startup.py."""
    assert _loaded_by("--lang", "vi", home=demo_env.home, probe=_TUI_PROBE, env=demo_env.env) == set()
