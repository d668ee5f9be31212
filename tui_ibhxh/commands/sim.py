"""``ibhxh sim serve``: the embedded I-VAN simulator (protocol v1) on a local port."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from tui_ibhxh.core.i18n import t
from tui_ibhxh.services.paths import app_paths

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext
    from tui_ibhxh.ivan_sim.config import SimConfig

DEFAULT_PORT = 8765
DB_NAME = "ivan-sim.sqlite3"


def _delays(text: str) -> tuple[float, float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("expected two numbers, e.g. 1,2") from None
    if len(parts) != 2 or min(parts) < 0:
        raise argparse.ArgumentTypeError("expected two non-negative numbers, e.g. 1,2")
    return parts[0], parts[1]


def _rate(text: str) -> tuple[int, float]:
    try:
        burst, per_second = text.split(",")
        value = int(burst), float(per_second)
    except ValueError:
        raise argparse.ArgumentTypeError("expected BURST,PER_SECOND, e.g. 300,50") from None
    if value[0] < 1 or value[1] <= 0:
        raise argparse.ArgumentTypeError("burst must be >= 1 and the rate > 0")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a number of seconds, e.g. 900") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError("expected seconds between 0 and 86400")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sim", help="trình giả lập I-VAN / the embedded I-VAN simulator")
    sim_sub = p.add_subparsers(dest="sim_command", metavar="SUBCOMMAND")
    p.set_defaults(func=_help(p))
    s = sim_sub.add_parser("serve", help="serve protocol v1 on a local port")
    s.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free)")
    s.add_argument("--db", type=Path, default=None, help="SQLite database (default: in the data directory)")
    s.add_argument("--sim-config", type=Path, default=None, help="simulator TOML file (units, trust, ...)")
    s.add_argument("--seed", choices=["demo"], default=None, help="register the demo unit (needs `ibhxh demo`)")
    s.add_argument("--seed-cert", type=Path, default=None, help="register the demo unit with this certificate")
    s.add_argument("--delays", type=_delays, default=None, help="SENT->RECEIVED,RECEIVED->final seconds (1,2)")
    s.add_argument("--trust", type=Path, action="append", default=[], help="trust anchor PEM (repeatable)")
    s.add_argument("--revoked", action="append", default=[], help="revoked certificate serial (repeatable)")
    s.add_argument("--bhxh-cert", type=Path, default=None, help="BHXH signing certificate (PEM)")
    s.add_argument("--bhxh-key", type=Path, default=None, help="BHXH signing key (PEM, unencrypted)")
    s.add_argument("--ca-cert", type=Path, default=None, help="publish this CA's CRL and OCSP (PEM certificate)")
    s.add_argument("--ca-key", type=Path, default=None, help="the CA's key (PEM, unencrypted) that signs them")
    s.add_argument("--ca-name", default=None, help="the CRL is served at /api/v1/pki/NAME.crl (default demo-ca)")
    s.add_argument("--pki-port", type=int, default=None, help="also serve on 127.0.0.1:PORT (the CA's fixed URL)")
    s.add_argument("--heartbeat", type=float, default=None, help="event-stream heartbeat seconds (15)")
    s.add_argument(
        "--rate-limit", type=_rate, default=None, help="authenticated calls per unit BURST,PER_SECOND (300,50)"
    )
    s.add_argument(
        "--auth-rate-limit", type=_rate, default=None, help="/auth/* per client address BURST,PER_SECOND (60,5)"
    )
    s.add_argument("--token-ttl", type=_seconds, default=None, help="access-token lifetime in seconds (900)")
    s.set_defaults(func=run_serve)


def _help(parser: argparse.ArgumentParser) -> object:
    def show(args: argparse.Namespace, ctx: CliContext) -> int:
        parser.print_help()
        return 0

    return show


def build_config(args: argparse.Namespace) -> SimConfig:
    """The simulator configuration from the command line (and the TOML file, which options override)."""
    from tui_ibhxh.ivan_sim.config import SeedUnit, SimConfig, load_toml, normalise_serial, read_cert_der

    paths = app_paths()
    default_dir = paths.demo_dir if args.seed == "demo" else paths.data_dir
    cfg = (
        load_toml(args.sim_config, db_path=args.db)
        if args.sim_config is not None
        else SimConfig(db_path=args.db or default_dir / DB_NAME)
    )
    if args.db is None and args.sim_config is None:
        cfg = cfg.with_updates(db_path=default_dir / DB_NAME)
    trust = list(cfg.trust) + list(args.trust)
    seeds = list(cfg.seed)
    bhxh_cert, bhxh_key = args.bhxh_cert or cfg.bhxh_cert, args.bhxh_key or cfg.bhxh_key
    ca_cert, ca_key = args.ca_cert or cfg.ca_cert, args.ca_key or cfg.ca_key
    revoked = set(cfg.revoked) | {normalise_serial(s) for s in args.revoked}
    pki_port = cfg.pki_port
    if args.seed == "demo" or args.seed_cert is not None:
        from tui_ibhxh import demo

        if args.seed == "demo":
            material = demo.demo_material(paths)
            trust.append(material.ca_pem)
            seeds.append(SeedUnit(material.unit, material.contact, cert_der=material.registered_cert_der))
            if bhxh_cert is None and bhxh_key is None:
                bhxh_cert, bhxh_key = material.bhxh_cert_pem, material.bhxh_key_pem
            if ca_cert is None and ca_key is None:  # the demo CA's CRL and OCSP, at the URLs its certificates name
                ca_cert, ca_key, pki_port = material.ca_pem, material.ca_key_pem, material.pki_port
            revoked |= set(material.revoked_serials)
        if args.seed_cert is not None:
            seeds.append(SeedUnit(demo.DEMO_UNIT, demo.DEMO_CONTACT, cert_der=read_cert_der(args.seed_cert)))
    updates: dict[str, object] = {
        "trust": tuple(trust),
        "seed": tuple(seeds),
        "revoked": frozenset(revoked),
        "bhxh_cert": bhxh_cert,
        "bhxh_key": bhxh_key,
        "ca_cert": ca_cert,
        "ca_key": ca_key,
        "pki_port": args.pki_port if args.pki_port is not None else pki_port,
    }
    if args.ca_name is not None:
        updates["ca_name"] = args.ca_name
    if args.delays is not None:
        updates["delays"] = args.delays
    if args.heartbeat is not None:
        updates["heartbeat"] = max(0.05, args.heartbeat)
    if args.rate_limit is not None:
        updates["rate_burst"], updates["rate_per_second"] = args.rate_limit
    if args.auth_rate_limit is not None:
        updates["auth_rate_burst"], updates["auth_rate_per_second"] = args.auth_rate_limit
    if args.token_ttl is not None:
        updates["token_ttl"] = args.token_ttl
    return cfg.with_updates(**updates)


def run_serve(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui_ibhxh.ivan_sim.config import SimConfigError
    from tui_ibhxh.ivan_sim.serve import serve, setup_logging

    try:
        cfg = build_config(args)
    except SimConfigError as exc:
        ctx.err(t("sim.config", ctx.lang, problem=str(exc)))
        return 2
    setup_logging()

    def ready(url: str) -> None:
        bhxh = cfg.bhxh_cert or cfg.db_path.parent / "bhxh.pem"
        ctx.err(t("sim.bhxh_cert", ctx.lang, path=bhxh))  # first: whoever waits for the URL sees a quiet log
        ctx.out(t("sim.listening", ctx.lang, url=url, db=cfg.db_path))

    try:
        asyncio.run(serve(cfg, args.host, args.port, ready))
    except SimConfigError as exc:
        ctx.err(t("sim.config", ctx.lang, problem=str(exc)))
        return 2
    except OSError as exc:
        ctx.err(t("sim.config", ctx.lang, problem=f"cannot listen on {args.host}:{args.port}: {exc.strerror}"))
        return 2
    return 0
