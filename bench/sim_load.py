"""Load on the I-VAN simulator: verified submissions per second and latency with N concurrent clients.

Starts the simulator (``python -m tui_ibhxh.ivan_sim serve``) on loopback with a temporary database and
delays 0, signs a pool of distinct dossiers in advance (software keys), then N clients submit them as fast
as they can, bounded by a count and a time. The baseline, measured in the same run on the same server with
the same clients, is a trivial ``GET /health``; the table gives the ratio. It also measures the in-process
cost of the synchronous checks of one dossier (parse + XMLDSig + schema), to show where the time goes.

The clients are a lean HTTP/1.1 load generator, as wrk is: each keeps one connection, sends requests built
before the timed phase and reads the status line and the body by its length. They share the machine's cores
with the server, and aiohttp's client took about a third of the CPU of a run: what is measured is the server.

    python bench/sim_load.py [--clients 8] [--count 400] [--seconds 20] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import aiohttp  # noqa: E402
from yarl import URL  # noqa: E402

from tests.support.sim_server import (  # noqa: E402
    CONTACT,
    UNIT_R,
    SimProcess,
    dossier_key,
    login,
    make_world,
    signed_dossier,
    submit,
)


@dataclass
class Phase:
    name: str
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def run_phase(
    name: str, clients: int, jobs: Sequence[bytes], seconds: float, one: Callable[[bytes], Awaitable[bool]]
) -> Phase:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    phase = Phase(name, 0.0, [], 0)
    deadline = time.monotonic() + seconds

    async def client() -> None:
        while time.monotonic() < deadline:
            try:
                job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            ok = await one(job)
            phase.latencies.append(time.perf_counter() - start)
            phase.errors += 0 if ok else 1

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    phase.seconds = time.perf_counter() - start
    return phase


class Connection:
    """One keep-alive HTTP/1.1 connection that sends ready-made requests: the load generator's only work."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send ``raw`` (a whole request) and read the answer: its status and body."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while size := int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16):
                body += (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(status_line.split()[1]), body

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def raw_request(method: str, url: URL, headers: dict[str, str], body: bytes = b"") -> bytes:
    """The bytes of one HTTP/1.1 request (keep-alive)."""
    lines = [f"{method} {url.raw_path_qs} HTTP/1.1", f"Host: {url.host}:{url.port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(frozen=True)
class SimLoad:
    clients: int
    baseline: Phase  # GET /health
    posts: Phase  # POST dossier, verified
    verify_ms: float  # in-process synchronous checks of one dossier
    failures: list[str]
    workers: int = 1  # simulator processes


async def bench(args: argparse.Namespace) -> SimLoad:
    tmp = Path(tempfile.mkdtemp(prefix="sim-bench-"))
    world = make_world(tmp / "world", units=(UNIT_R,))
    os.environ.setdefault("IBHXH_SIM_ENTRY", "module")  # the simulator alone, without the other commands
    proc = SimProcess(
        world.toml,
        tmp / "sim.sqlite3",
        delays=(0, 0),
        rate_limit=(10**6, 10.0**6),
        extra_args=("--workers", str(args.workers)),
    )
    base = proc.start()
    print(f"simulator at {base}; signing {args.count} dossiers ...", file=sys.stderr, flush=True)
    bodies = [signed_dossier(UNIT_R, CONTACT, new=world.unit_r_new, old=world.unit_r) for _ in range(args.count)]
    # the client's own work is kept out of the timed phase (it shares the 2 cores with the server): the keys too
    keys = {body: dossier_key(body) for body in bodies}

    from tui_ibhxh.core.xmldsig import TrustStore
    from tui_ibhxh.ivan_sim.verify import verify_submission

    trust = TrustStore([world.ca.der])
    sample = bodies[:200]
    t0 = time.perf_counter()
    for body in sample:
        verify_submission(body, trust)
    verify_ms = (time.perf_counter() - t0) / len(sample) * 1000

    failures: list[str] = []
    try:
        async with aiohttp.ClientSession() as s:
            token = await login(s, base, UNIT_R.ma_dvi, world.unit_r)
            # the first answer through aiohttp's client: the lean one below must be taken the same way
            status, _ = await submit(s, base, token, UNIT_R.ma_dvi, bodies[0], keys[bodies[0]])
            assert status == 202, status
        root = URL(base)
        assert root.host is not None and root.port is not None
        conns = [Connection(root.host, root.port) for _ in range(args.clients)]
        free = list(conns)  # each client takes one connection for its whole phase
        health_request = raw_request("GET", root / "health", {})
        dossiers = root / "units" / UNIT_R.ma_dvi / "dossiers"
        post_requests = {
            body: raw_request(
                "POST",
                dossiers,
                {"Authorization": f"Bearer {token}", "Content-Type": "application/xml", "Idempotency-Key": keys[body]},
                body,
            )
            for body in bodies[1:]
        }

        async def ask(raw: bytes) -> tuple[int, bytes]:
            conn = free.pop()
            try:
                return await conn.request(raw)
            finally:
                free.append(conn)

        async def health(_: bytes) -> bool:
            return (await ask(health_request))[0] == 200

        async def post(body: bytes) -> bool:
            status, data = await ask(post_requests[body])
            if status != 202 and len(failures) < 3:
                failures.append(f"{status} {data.decode('utf-8', 'replace')}")
            return status == 202

        dummy = [b""] * args.count
        await run_phase("warm-up", args.clients, dummy[:50], 5, health)
        baseline = await run_phase("GET /health (baseline)", args.clients, dummy, args.seconds, health)
        posts = await run_phase("POST dossier (verified)", args.clients, bodies[1:], args.seconds, post)
        for conn in conns:
            conn.close()
    finally:
        proc.stop()
    return SimLoad(args.clients, baseline, posts, verify_ms, failures, args.workers)


def report(r: SimLoad) -> str:
    lines = [f"{r.clients} concurrent clients on loopback, {r.workers} simulator process(es) (WAL, synchronous=FULL)"]
    lines.append(f"{'operation':<26}{'n':>6}{'errors':>8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for p in (r.baseline, r.posts):
        lines.append(
            f"{p.name:<26}{len(p.latencies):>6}{p.errors:>8}{p.rate:>10.1f}{p.pct(0.5):>10.2f}{p.pct(0.99):>10.2f}"
        )
    ratio = r.posts.rate / r.baseline.rate if r.baseline.rate else 0.0
    lines.append(f"\nverified submissions/s as a fraction of the baseline: {ratio:.3f}")
    per_core = 1000 / r.verify_ms
    lines.append(f"in-process synchronous checks of one dossier: {r.verify_ms:.2f} ms ({per_core:.0f}/s on one core)")
    lines += [f"failed submission: {f[:300]}" for f in r.failures]
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="I-VAN simulator load benchmark")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--count", type=int, default=400, help="at most this many requests per phase")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per phase")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="simulator processes (default: the core count)"
    )
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> SimLoad:
    return asyncio.run(bench(parse(argv)))


def main(argv: list[str] | None = None) -> None:
    print(report(run(argv)))


if __name__ == "__main__":
    main()
