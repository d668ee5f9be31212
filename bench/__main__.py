"""``python -m bench`` (``make bench``): every goal of issue #15 measured, printed as ONE table: measure, goal,
figure, baseline (measured in the same run, named), ratio, PASS/FAIL. A goal not met on this machine says FAIL.

    python -m bench [--quick]

The rows come from the benchmark modules, each also runnable alone with more detail: ``bench.startup`` (whole
process to the token list, and its peak RSS), ``bench.xmldsig`` (sign, verify), ``bench.submit`` (the submit
round-trip), ``bench.tui`` (History), ``bench.sim_load`` (the simulator under load). ``bench.revocation`` (path
validation, OCSP/CRL) has no goal in the issue and runs only alone. ``--quick`` takes fewer samples (a smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
from pathlib import Path

from bench._stats import Row, rows_table

HISTORY_ROWS = 100_000

HISTORY_TIMEOUT = 120.0  # seconds: a History that takes longer is reported as not done (FAIL), the run goes on

# History with N transactions in a process of its own (bench.tui's headless app): its three times, then its peak RSS
_HISTORY = """
import asyncio, sys
from bench.tui import history_times
h = asyncio.run(history_times(int(sys.argv[1])))
print(h.populate, h.scroll, h.live)
print(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")), flush=True)
"""


def startup_rows(n: int) -> tuple[tuple[Row, Row], float, str]:
    """Startup and RSS at the token list; also the hello app's RSS (the baseline of the History RSS row), and the
    line saying what the first screen itself costs on this toolkit."""
    from bench import startup

    r = startup.run(n)
    (ours, hello), (ours_mb, hello_mb) = r.seconds, r.rss_mb
    started = Row(
        "startup to the token list, 80×24 (whole process)", "ms", ours * 1e3, hello * 1e3, "hello app", 1.3, True
    )
    rss = Row("peak RSS at the token list", "MB", ours_mb, hello_mb, "hello app", 120, False)
    return (started, rss), hello_mb, r.floor_note()


def xmldsig_rows(n: int) -> tuple[list[Row], str]:
    """The sign and verify rows, and the line saying what the token's own step takes of the sign."""
    from bench import xmldsig

    r = xmldsig.measure_all(n)
    (sign, base_sign), (verify, base_verify) = r.sign, r.verify
    return [
        Row(
            "sign a dossier on the token (+ self-check)", "ms", sign.p50 * 1e3, base_sign.p50 * 1e3, "xmlsec", 1.5, True
        ),
        Row("verify a dossier (strict + chain)", "ms", verify.p50 * 1e3, base_verify.p50 * 1e3, "xmlsec", 1.2, True),
    ], r.floor_note()


def submit_rows(n: int) -> list[Row]:
    from bench import submit

    r = submit.run(n)
    return [
        Row(
            "submit round-trip p50 (sign→fsync→POST→202)",
            "ms",
            r.round_trip.p50 * 1e3,
            r.baseline.p50 * 1e3,
            "GET /health",
            15,
            False,
        )
    ]


def _peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def history_rows(hello_mb: float, rows: int) -> list[Row]:
    """History with ``rows`` transactions (bench.tui, headless, in a process of its own), against the bare hello
    app's first frame as bench.tui measures it; the peak RSS of that process, against the hello app's. Not done
    within HISTORY_TIMEOUT: the timeout is the figure of the three times (FAIL) and the RSS is read as it is then."""
    from bench import tui

    hello = asyncio.run(tui.first_frame(None))
    repo = Path(__file__).resolve().parent.parent
    child = subprocess.Popen([sys.executable, "-c", _HISTORY, str(rows)], stdout=subprocess.PIPE, text=True, cwd=repo)
    try:
        out, _ = child.communicate(timeout=HISTORY_TIMEOUT)
        times, rss = out.splitlines()[-2:]
        populate, scroll, live = (float(x) * 1e3 for x in times.split())
        rss_mb = int(rss) / 1024
        note = ""
    except subprocess.TimeoutExpired:
        rss_mb = _peak_rss_kb(child.pid) / 1024
        child.kill()
        child.wait()
        populate = scroll = live = HISTORY_TIMEOUT * 1e3
        note = f" (not done in {HISTORY_TIMEOUT:g} s)"
    k = f"{rows // 1000}k"
    base = hello * 1e3
    return [
        Row(f"History {k}: populate{note}", "ms", populate, base, "hello frame", 500, False),
        Row(f"History {k}: scroll to the end{note}", "ms", scroll, base, "hello frame", 50, False),
        Row(f"History {k}: one live change{note}", "ms", live, base, "hello frame", 10, False),
        Row(f"peak RSS with History {k}{note}", "MB", rss_mb, hello_mb, "hello app", 150, False),
    ]


def sim_rows(quick: bool) -> list[Row]:
    from bench import sim_load

    r = sim_load.run(["--count", "100" if quick else "1000", "--seconds", "5" if quick else "20"])
    base, posts = r.baseline, r.posts
    if posts.errors:
        print(f"simulator: {posts.errors} submissions failed: {r.failures[:1]}", file=sys.stderr)
    accepted = (len(posts.latencies) - posts.errors) / posts.seconds if posts.seconds else 0.0  # 202s only
    return [
        Row("simulator: verified submissions/s", "/s", accepted, base.rate, "GET /health", 500, False, True),
        Row("simulator: submission p99", "ms", posts.pct(0.99), base.pct(0.99), "GET /health", 50, False),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer samples: a smoke run, not figures to publish")
    parser.add_argument("--history-rows", type=int, default=HISTORY_ROWS, help="transactions in History")
    args = parser.parse_args(argv)
    q = args.quick
    (startup, rss), hello_mb, startup_floor = startup_rows(3 if q else 9)
    signing, sign_floor = xmldsig_rows(20 if q else 200)
    submit = submit_rows(20 if q else 200)
    *history, history_rss = history_rows(hello_mb, args.history_rows)
    sim = sim_rows(q)
    # in the order of the table
    rows = [startup, *signing, *submit, *history, *sim, rss, history_rss]
    cpu = os.cpu_count()
    print(f"{platform.processor() or platform.machine()}, {cpu} cores, Python {platform.python_version()}")
    print(rows_table(rows))
    print(startup_floor)
    print(sign_floor)


if __name__ == "__main__":
    main()
