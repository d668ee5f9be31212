"""``ibhxh sim serve``: the embedded I-VAN simulator (protocol v1) on a local port."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tui_ibhxh.cli import EXIT_ERROR, Args, CliContext, Group, command, root
from tui_ibhxh.core.i18n import t
from tui_ibhxh.services.paths import AppPaths

if TYPE_CHECKING:
    from tui_ibhxh.ivan_sim.config import SimConfig

T = TypeVar("T")

DEFAULT_PORT = 8765
DB_NAME = "ivan-sim.sqlite3"


def _delays(text: str) -> tuple[float, float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise ValueError("expected two numbers, e.g. 1,2") from None
    if len(parts) != 2 or min(parts) < 0:
        raise ValueError("expected two non-negative numbers, e.g. 1,2")
    return parts[0], parts[1]


def _rate(text: str) -> tuple[int, float]:
    try:
        burst, per_second = text.split(",")
        value = int(burst), float(per_second)
    except ValueError:
        raise ValueError("expected BURST,PER_SECOND, e.g. 300,50") from None
    if value[0] < 1 or value[1] <= 0:
        raise ValueError("burst must be >= 1 and the rate > 0")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number of seconds, e.g. 900") from None
    if not 0 < value <= 86_400:
        raise ValueError("expected seconds between 0 and 86400")
    return value


def _parsed(parse: Callable[[str], T]) -> Callable[[click.Context, click.Parameter, Any], T | None]:
    """A click callback turning the option's text into a value with ``parse`` (its ValueError: a usage error)."""

    def convert(ctx: click.Context, param: click.Parameter, value: Any) -> T | None:
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None

    return convert


@root.group("sim", cls=Group, invoke_without_command=True, help="trình giả lập I-VAN / the embedded I-VAN simulator")
@click.pass_context
def sim(ctx: click.Context) -> int:
    """Without a subcommand: its help."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
    return 0


PathOption = click.Path(path_type=Path)


@command(sim, "serve", "serve protocol v1 on a local port")
@click.option("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
@click.option("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any free)")
@click.option("--db", type=PathOption, help="SQLite database (default: in the data directory)")
@click.option("--sim-config", type=PathOption, help="simulator TOML file (units, trust, ...)")
@click.option("--seed", type=click.Choice(["demo"]), help="register the demo unit (needs `ibhxh demo`)")
@click.option("--seed-cert", type=PathOption, help="register the demo unit with this certificate")
@click.option("--delays", callback=_parsed(_delays), help="SENT->RECEIVED,RECEIVED->final seconds (1,2)")
@click.option("--trust", type=PathOption, multiple=True, help="trust anchor PEM (repeatable)")
@click.option("--revoked", multiple=True, help="revoked certificate serial (repeatable)")
@click.option("--bhxh-cert", type=PathOption, help="BHXH signing certificate (PEM)")
@click.option("--bhxh-key", type=PathOption, help="BHXH signing key (PEM, unencrypted)")
@click.option("--ca-cert", type=PathOption, help="publish this CA's CRL and OCSP (PEM certificate)")
@click.option("--ca-key", type=PathOption, help="the CA's key (PEM, unencrypted) that signs them")
@click.option("--ca-name", help="the CRL is served at /api/v1/pki/NAME.crl (default demo-ca)")
@click.option("--pki-port", type=int, help="also serve on 127.0.0.1:PORT (the CA's fixed URL)")
@click.option("--heartbeat", type=float, help="event-stream heartbeat seconds (15)")
@click.option("--rate-limit", callback=_parsed(_rate), help="authenticated calls per unit BURST,PER_SECOND (300,50)")
@click.option("--auth-rate-limit", callback=_parsed(_rate), help="/auth/* per client address BURST,PER_SECOND (60,5)")
@click.option("--token-ttl", callback=_parsed(_seconds), help="access-token lifetime in seconds (900)")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    help="processes serving the one database (1; the core count for load: each verifies on its own core)",
)
def run_serve(args: Args, ctx: CliContext) -> int:
    return serve_command(args, ctx)


def build_config(args: Args, paths: AppPaths) -> SimConfig:
    """The simulator configuration from the command line (and the TOML file, which options override)."""
    from tui_ibhxh.ivan_sim.config import SeedUnit, SimConfig, load_toml, normalise_serial, read_cert_der

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


def serve_command(args: Args, ctx: CliContext) -> int:
    from tui_ibhxh.ivan_sim.config import SimConfigError
    from tui_ibhxh.ivan_sim.routes import PREFIX
    from tui_ibhxh.ivan_sim.serve import serve, setup_logging

    try:
        cfg = build_config(args, ctx.paths)
    except SimConfigError as exc:
        ctx.err(t("sim.config", ctx.lang, problem=str(exc)))
        return EXIT_ERROR
    setup_logging()

    def ready(url: str) -> None:
        """Standard output gets one line, the address to put in ``[ivan] url`` (the port really bound, also with
        ``--port 0``), for a script to capture; the sentences go to standard error."""
        bhxh = cfg.bhxh_cert or cfg.db_path.parent / "bhxh.pem"
        ctx.err(t("sim.bhxh_cert", ctx.lang, path=bhxh))
        ctx.err(t("sim.listening", ctx.lang, url=url, db=cfg.db_path))
        ctx.out(url.removesuffix(PREFIX))  # ``[ivan] url`` is the address before the API's prefix

    try:
        asyncio.run(serve(cfg, args.host, args.port, ready, workers=args.workers))
    except SimConfigError as exc:
        ctx.err(t("sim.config", ctx.lang, problem=str(exc)))
        return EXIT_ERROR
    except OSError as exc:
        ctx.err(t("sim.config", ctx.lang, problem=f"cannot listen on {args.host}:{args.port}: {exc.strerror}"))
        return EXIT_ERROR
    return 0
