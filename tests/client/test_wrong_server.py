"""When ``[ivan] url`` does not lead to the unit's I-VAN (nothing listening, another program on the port, another
I-VAN — e.g. another demo's simulator on a busy port), authentication says so and names the address, instead of
a bare AUTH_FAILED that points the wrong way. Servers are in-process, on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from tui_ibhxh.services.ivan_client import IvanClient, IvanError, RetryPolicy

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _sign(data: bytes) -> bytes:
    return b"\x00" * 256


def _authenticate_against(handler: Handler | None) -> IvanError:
    """The error of authenticating against a server answering every request with ``handler`` (None: no server)."""

    async def scenario() -> IvanError:
        runner: web.AppRunner | None = None
        if handler is None:
            with socket.socket() as probe:  # a port nothing listens on (closed again at once)
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        else:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handler)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
        client = IvanClient(f"http://127.0.0.1:{port}", retry=RetryPolicy(attempts=1, backoff=0.01))
        try:
            await client.authenticate("TA1234A", b"certificate", _sign)
        except IvanError as exc:
            return exc
        finally:
            await client.close()
            if runner is not None:
                await runner.cleanup()
        raise AssertionError("authenticated against a wrong server")

    return asyncio.run(scenario())


def _said(exc: IvanError) -> str:
    return exc.message("en")


def test_nothing_listening_is_unreachable() -> None:
    exc = _authenticate_against(None)
    assert exc.key == "ivan.unreachable"
    assert "Cannot reach the I-VAN at http://127.0.0.1:" in _said(exc) and "AUTH_FAILED" not in _said(exc)


def test_a_web_server_that_is_not_an_ivan_is_said_so() -> None:
    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="<html>Not Found</html>", content_type="text/html")

    async def html_page(request: web.Request) -> web.Response:
        return web.Response(text="<html>hello</html>", content_type="text/html")

    for handler in (not_found, html_page):
        exc = _authenticate_against(handler)
        assert exc.key == "ivan.not_an_ivan", exc.key
        said = _said(exc)
        assert "is not an I-VAN" in said and "http://127.0.0.1:" in said and "[ivan] url" in said


def test_another_ivan_refusing_the_certificate_names_the_address() -> None:
    async def other_ivan(request: web.Request) -> web.Response:
        if request.path.endswith("/auth/challenge"):
            return web.json_response({"challenge": "AAAA", "expires_at": "2026-11-26T00:00:00+00:00"})
        detail = "certificate 01 does not chain to a trust anchor"
        return web.json_response({"ma_loi": "AUTH_FAILED", "mota_loi": "…", "detail": detail}, status=401)

    exc = _authenticate_against(other_ivan)
    assert exc.key == "ivan.auth_refused" and exc.ma_loi == "AUTH_FAILED" and exc.status == 401
    said = _said(exc)
    assert "The I-VAN at http://127.0.0.1:" in said and "does not chain to a trust anchor" in said
    assert "check that [ivan] url is your I-VAN" in said


def test_an_ivan_error_in_the_protocol_stays_the_ivan_answer() -> None:
    async def unknown_unit(request: web.Request) -> web.Response:
        body = {"ma_loi": "UNIT_NOT_FOUND", "mota_loi": "…", "detail": "unit TA1234A is not registered"}
        return web.json_response(body, status=404)

    exc = _authenticate_against(unknown_unit)
    assert exc.key == "ivan.rejected" and exc.ma_loi == "UNIT_NOT_FOUND"
