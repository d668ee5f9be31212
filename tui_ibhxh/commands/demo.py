"""``ibhxh demo [--provision-only] [--reset] [--ivan-url URL]``: the embedded demo (SoftHSM token, demo CA,
config)."""

from __future__ import annotations

import click

from tui_ibhxh import demo
from tui_ibhxh.cli import Args, CliContext, Options, command, root
from tui_ibhxh.core.i18n import t
from tui_ibhxh.services.config import save_config, set_value


def _http_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An http(s) address, without the API's ``/api/v1`` (which the client adds); anything else is a usage
    error."""
    if value is None:
        return None
    url = value.strip().rstrip("/").removesuffix("/api/v1")
    if not url.startswith(("http://", "https://")) or url.endswith("://"):
        lang = ctx.ensure_object(Options).help_lang
        raise click.BadParameter(t("demo.bad_ivan_url", lang, url=value), ctx=ctx, param=param)
    return url


@command(root, "demo", "chạy bản demo / run the demo (SoftHSM token + local I-VAN)")
@click.option("--provision-only", is_flag=True, help="only provision the demo, do not start the app")
@click.option("--reset", is_flag=True, help="remove the demo state first and start over")
@click.option("--ivan-url", metavar="URL", callback=_http_url, help="the I-VAN to use")
def run(args: Args, ctx: CliContext) -> int:
    paths = ctx.paths
    home = paths.demo_dir
    if args.reset:
        demo.reset(paths)
        ctx.err(t("demo.reset", ctx.lang, home=home))
    material, created = demo.provision(paths)
    ctx.err(t("demo.provisioned" if created else "demo.already", ctx.lang, home=home, pin=material.pin))
    if args.ivan_url:  # e.g. what `ibhxh sim serve --port 0` printed: the port it really took
        cfg = ctx.config()
        set_value(cfg, "ivan.url", args.ivan_url)
        save_config(cfg)
        ctx.err(t("demo.ivan_url", ctx.lang, url=args.ivan_url, path=cfg.path))
    if args.provision_only:
        return 0
    return _launch(ctx)


DEMO_DELAYS = (3.0, 5.0)  # SENT -> RECEIVED -> final: slow enough to watch, quick enough to wait for


def _launch(ctx: CliContext) -> int:
    """Start the simulator in-process on a free loopback port (demo seed), then the TUI on it."""
    from tui_ibhxh.ivan_sim.background import BackgroundSimulator
    from tui_ibhxh.ivan_sim.config import SeedUnit, SimConfig
    from tui_ibhxh.launch import run_tui

    paths = ctx.paths
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
    cfg = ctx.config()
    with BackgroundSimulator(sim_config) as url:
        cfg.ivan.url = url.removesuffix("/api/v1")  # this run only; the file keeps its own URL
        return run_tui(cfg, ctx.lang)
