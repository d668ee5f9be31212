"""The done-when of the foundation: `ibhxh demo --provision-only && ibhxh certs --json` on a fresh home."""

from __future__ import annotations

import json
from typing import Any

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
    assert "O=Công ty TNHH ABC" in new["subject"] and "ST=Hà Nội" in new["subject"]
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

    original = cli.build_parser

    def broken_parser():  # type: ignore[no-untyped-def]
        parser = original()
        parser.set_defaults(func=lambda args, ctx: 1 / 0)
        return parser

    monkeypatch.setattr(cli, "build_parser", broken_parser)
    assert cli.main(["--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "crash.log" in err
    assert "ZeroDivisionError" not in err  # a sentence for the user; the exception's name goes to the log
    assert "ZeroDivisionError" in (isolated_home / "log" / "crash.log").read_text(encoding="utf-8")


def test_no_command_takes_a_pin_as_an_argument() -> None:
    """A PIN in argv is visible to every local user (ps, /proc/*/cmdline): only --pin-stdin or a masked prompt."""
    import argparse

    from tui_ibhxh.cli import build_parser

    def walk(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, argparse.Action]]:
        found = [(path, a) for a in parser._actions]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    found += walk(sub, f"{path} {name}")
        return found

    actions = walk(build_parser(), "ibhxh")
    assert len({path for path, _ in actions}) > 10  # every command was walked
    pin_options = [(path, a) for path, a in actions if any("pin" in s.lower() for s in a.option_strings)]
    assert pin_options, "no --pin-stdin found: the walk is broken"
    for path, action in pin_options:
        assert action.nargs == 0, f"{path} {action.option_strings} takes a value"
        assert action.option_strings == ["--pin-stdin"], (path, action.option_strings)
