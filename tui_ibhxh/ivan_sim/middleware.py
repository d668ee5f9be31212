"""Middlewares: one log line per request (no bodies), JSON errors, early body-size check."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from tui_ibhxh.ivan_sim.errors import HTTP_CODES, ApiError, error_response

log = logging.getLogger("tui_ibhxh.ivan_sim")
access = logging.getLogger("tui_ibhxh.ivan_sim.access")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SENT_STATUS = "sim.sent_status"  # set by streaming handlers once the status line has gone out


@web.middleware
async def log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    start = time.perf_counter()
    status = 500
    note = ""
    try:
        response = await handler(request)
        status = response.status
        return response
    except (asyncio.CancelledError, ConnectionError) as exc:
        # the client went away, or the server is stopping with an event stream open: log what the client got,
        # not a server error; 499 = closed before any answer (nginx's convention)
        status = int(request.get(SENT_STATUS, 499))
        note = " cancelled" if isinstance(exc, asyncio.CancelledError) else " client closed"
        raise
    finally:
        ms = (time.perf_counter() - start) * 1000
        access.info("%s %s %d %.1fms%s", request.method, request.path, status, ms, note)


def json_errors(max_body: int) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            if request.content_length is not None and request.content_length > max_body:
                raise ApiError(413, "TOO_LARGE", f"the body is {request.content_length} bytes; at most {max_body}")
            return await handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.detail, exc.headers)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = HTTP_CODES.get(exc.status, "SE999" if exc.status >= 500 else "BAD_REQUEST")
            headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
            return error_response(exc.status, code, exc.reason, headers)
        except (ConnectionResetError, ConnectionError):
            raise
        except Exception:
            log.exception("unhandled error on %s %s", request.method, request.path)
            return error_response(500, "SE999")

    return middleware
