"""The log file: the warnings and errors of every command in the platform log directory (here $IBHXH_HOME/log),
never a PIN or an I-VAN access token, even with --verbose."""

from __future__ import annotations

import hashlib
import re
import sqlite3

from tests.flow.conftest import PIN, Flow

#: what an access token of the simulator looks like (secrets.token_urlsafe(32)); the simulator keeps their hashes
TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{40,}")


def issued_token_hashes(flow: Flow) -> set[str]:
    with sqlite3.connect(flow.sim.db) as db:
        return {row[0] for row in db.execute("SELECT token_sha256 FROM tokens")}


def test_warnings_go_to_the_log_without_pin_or_token(flow: Flow) -> None:
    wrong = flow.run("--verbose", "registration", "--pin-stdin", input="00000000\n")
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    ok = flow.run("registration", "--pin-stdin", "--verbose", input=PIN + "\n")
    assert ok.returncode == 0, ok.stderr
    missing = flow.run("receipt", "NO-SUCH-TX", "--pin-stdin", "-v", input=PIN + "\n")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    log = (flow.home / "log" / "ibhxh.log").read_text(encoding="utf-8")
    assert log.count(" WARNING ") >= 2  # the wrong PIN and the unknown transaction, one line each at least
    said = log + "".join(r.stdout + r.stderr for r in (wrong, ok, missing))
    assert PIN not in said and "00000000" not in said
    issued = issued_token_hashes(flow)
    assert issued, "the I-VAN issued no token: the check below would prove nothing"
    leaked = [w for w in TOKEN_LIKE.findall(said) if hashlib.sha256(w.encode()).hexdigest() in issued]
    assert leaked == []
