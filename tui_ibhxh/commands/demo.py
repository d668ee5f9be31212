"""``ibhxh demo [--provision-only] [--reset]``: the embedded demo (SoftHSM token, demo CA, config)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui_ibhxh import demo
from tui_ibhxh.core.i18n import t
from tui_ibhxh.services.paths import app_paths

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="chạy bản demo / run the demo (SoftHSM token + local I-VAN)")
    p.add_argument("--provision-only", action="store_true", help="only provision the demo, do not start the app")
    p.add_argument("--reset", action="store_true", help="remove the demo state first and start over")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    paths = app_paths()
    home = paths.demo_dir
    if args.reset:
        demo.reset(paths)
        ctx.err(t("demo.reset", ctx.lang, home=home))
    material, created = demo.provision(paths)
    ctx.err(t("demo.provisioned" if created else "demo.already", ctx.lang, home=home, pin=material.pin))
    if args.provision_only:
        return 0
    return _launch(args, ctx)


DEMO_DELAYS = (3.0, 5.0)  # SENT -> RECEIVED -> final: slow enough to watch, quick enough to wait for


def _launch(args: argparse.Namespace, ctx: CliContext) -> int:
    """Start the simulator in-process on a free loopback port (demo seed), then the TUI on it."""
    from tui_ibhxh.ivan_sim.background import BackgroundSimulator
    from tui_ibhxh.ivan_sim.config import SeedUnit, SimConfig
    from tui_ibhxh.launch import run_tui
    from tui_ibhxh.services.config import load_config

    paths = app_paths()
    material = demo.demo_material(paths)
    sim_config = SimConfig(
        db_path=paths.demo_dir / "ivan-sim.sqlite3",
        trust=(material.ca_pem,),
        seed=(SeedUnit(material.unit, material.contact, cert_der=material.registered_cert_der),),
        bhxh_cert=material.bhxh_cert_pem,
        bhxh_key=material.bhxh_key_pem,
        delays=DEMO_DELAYS,
        revoked=frozenset(material.revoked_serials),
        # the demo CA's CRL and OCSP, also at the fixed loopback port its certificates name
        ca_cert=material.ca_pem,
        ca_key=material.ca_key_pem,
        ca_name=demo.DEMO_CA_NAME,
        pki_port=material.pki_port,
    )
    cfg = load_config(ctx.config_path)
    with BackgroundSimulator(sim_config) as url:
        cfg.ivan.url = url.removesuffix("/api/v1")  # this run only; the file keeps its own URL
        return run_tui(cfg, ctx.lang)
