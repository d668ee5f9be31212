"""The OpenAPI 3 description of protocol v1 as the simulator implements it (``GET /api/v1/openapi.json``).

A test checks it against the application's routes: every route documented, every documented path routed.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tui_ibhxh import __version__


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _limited(budget: str) -> dict[str, Any]:
    return {
        **_error(f"rate limited {budget} (protocol §7)"),
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    }


def _ok(description: str, schema: str, media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": _ref(schema)}}}


_UNIT = {"name": "ma_dvi", "in": "path", "required": True, "schema": {"type": "string"}, "example": "TA1234A"}
_GDICH = {"name": "ma_gdich", "in": "path", "required": True, "schema": {"type": "string"}}
_AUTH_ERRORS = {
    "401": _error("missing or expired token"),
    "403": _error("the token is for another unit"),
    "429": _limited("per unit"),
}


def _str_props(*names: str) -> dict[str, Any]:
    return {n: {"type": "string"} for n in names}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["ma_loi", "mota_loi", "detail"],
        "properties": _str_props("ma_loi", "mota_loi", "detail"),
    },
    "ChallengeRequest": {"type": "object", "required": ["ma_dvi"], "properties": _str_props("ma_dvi")},
    "Challenge": {
        "type": "object",
        "properties": {
            "challenge": {"type": "string", "format": "byte"},
            "expires_at": {"type": "string", "format": "date-time"},
        },
    },
    "TokenRequest": {
        "type": "object",
        "required": ["ma_dvi", "challenge", "certificate", "signature"],
        "properties": _str_props("ma_dvi", "challenge", "certificate", "signature"),
    },
    "Token": {
        "type": "object",
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string"},
            "expires_in": {"type": "integer"},
        },
    },
    "Contact": {"type": "object", "properties": _str_props("diachi_lhe", "dien_thoai", "email", "nguoi_lhe")},
    "Certificate": {
        "type": "object",
        "properties": _str_props("serial", "subject", "issuer", "not_before", "not_after", "sha256"),
    },
    "Registration": {
        "type": "object",
        "properties": {
            **_str_props("ma_dvi", "mst", "ten_dvi", "diadiem", "updated_at", "ivan_id"),
            "co_quan_bhxh": {"type": "object", "properties": _str_props("ma", "ten")},
            "contact": _ref("Contact"),
            "certificate": _ref("Certificate"),
            "version": {"type": "integer"},
        },
    },
    "Transaction": {
        "type": "object",
        "properties": {
            **_str_props(
                "ivan_id", "ma_gdich", "so_hso", "ma_dvi", "loai", "idempotency_key", "submitted_at", "status_at"
            ),
            "status": {"type": "string", "enum": ["SENT", "RECEIVED", "ACCEPTED", "REJECTED"]},
            "ma_loi": {"type": "string", "nullable": True},
            "mota_loi": {"type": "string", "nullable": True},
            "timeline": {
                "type": "array",
                "items": {"type": "object", "properties": _str_props("status", "at")},
            },
        },
    },
    "TransactionPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": _ref("Transaction")},
            "next": {"type": "string", "nullable": True},
            "last_event_id": {
                "type": "string",
                "description": "id of the unit's last event this page reflects: open the event stream with it "
                "as Last-Event-ID and no change is lost between the page and the stream",
            },
        },
    },
    "Health": {"type": "object", "properties": _str_props("status", "version")},
    "Xml": {"type": "string"},
    "Der": {"type": "string", "format": "binary"},
    "EventStream": {"type": "string"},
    "OpenApi": {"type": "object"},
}

PATHS: dict[str, Any] = {
    "/auth/challenge": {
        "post": {
            "summary": "Get a single-use challenge (valid 120 s) to sign with a certificate of the unit",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("ChallengeRequest")}},
            },
            "responses": {
                "200": _ok("the challenge", "Challenge"),
                "400": _error("missing field"),
                "404": _error("unknown unit (nothing is stored for it)"),
                "429": _limited("per client address, a budget separate from the units'"),
            },
        }
    },
    "/auth/token": {
        "post": {
            "summary": "Exchange a signed challenge for a bearer token (expires_in seconds, scoped to one unit)",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("TokenRequest")}},
            },
            "responses": {
                "200": _ok("the access token", "Token"),
                "400": _error("missing field or bad base64"),
                "401": _error("challenge, signature, certificate or MST not acceptable"),
                "404": _error("unknown unit"),
                "429": _limited("per client address, a budget separate from the units'"),
            },
        }
    },
    "/units/{ma_dvi}/registration": {
        "get": {
            "summary": "What BHXH currently has on record for the unit",
            "parameters": [_UNIT],
            "responses": {"200": _ok("the registration", "Registration"), **_AUTH_ERRORS},
        }
    },
    "/units/{ma_dvi}/dossiers": {
        "post": {
            "summary": "Submit a signed change dossier (form 05/SĐ-IVAN)",
            "parameters": [
                _UNIT,
                {"name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string"}},
            ],
            "requestBody": {"required": True, "content": {"application/xml": {"schema": _ref("Xml")}}},
            "responses": {
                "200": _ok("same key and body as before: the existing transaction", "Transaction"),
                "202": _ok("accepted for transmission to BHXH", "Transaction"),
                "400": _error("XML_INVALID (malformed, DOCTYPE, schema) or missing Idempotency-Key"),
                "409": _error("same key, different body"),
                "413": _error("body over 1 MiB"),
                "422": _error(
                    "SIGNATURE_INVALID (outside the strict signature profile of protocol §3.3, e.g. exclusive "
                    "C14N, an RSA key under 2048 bits, anything but X509Data in KeyInfo) or CERT_UNTRUSTED"
                ),
                **_AUTH_ERRORS,
            },
        }
    },
    "/units/{ma_dvi}/transactions": {
        "get": {
            "summary": "Transaction history, newest first, cursor pagination",
            "parameters": [
                _UNIT,
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                {"name": "before", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": _ok("one page", "TransactionPage"),
                "400": _error("bad parameter"),
                **_AUTH_ERRORS,
            },
        }
    },
    "/units/{ma_dvi}/events": {
        "get": {
            "summary": "Server-sent events: one 'transaction' event per status change; honours Last-Event-ID",
            "description": (
                "A stream lives no longer than its bearer token: at the token's expiry the server sends "
                "`event: expired` (data: an Error object, ma_loi TOKEN_EXPIRED, no id) and closes the stream, "
                "whatever the traffic. Re-authenticate and reconnect with Last-Event-ID: nothing is lost."
            ),
            "parameters": [
                _UNIT,
                {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"}},
            ],
            "responses": {"200": _ok("event stream", "EventStream", "text/event-stream"), **_AUTH_ERRORS},
        }
    },
    "/transactions/{ma_gdich}": {
        "get": {
            "summary": "One transaction",
            "parameters": [_GDICH],
            "responses": {
                "200": _ok("the transaction", "Transaction"),
                "404": _error("unknown"),
                **_AUTH_ERRORS,
            },
        }
    },
    "/transactions/{ma_gdich}/receipt": {
        "get": {
            "summary": "The BHXH-signed confirmation (XACNHAN_GDICH), once the transaction is final",
            "parameters": [_GDICH],
            "responses": {
                "200": _ok("the signed confirmation", "Xml", "application/xml"),
                "404": _error("unknown transaction"),
                "409": _error("not final yet"),
                **_AUTH_ERRORS,
            },
        }
    },
    "/pki/{name}.crl": {
        "get": {
            "summary": "The CRL of the CA the simulator runs with (protocol §8), DER",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": _ok("the current CRL (nextUpdate = thisUpdate + pki_validity)", "Der", "application/pkix-crl"),
                "404": _error("no CA configured, or another name"),
                "429": _limited("per client address"),
            },
        }
    },
    "/pki/ocsp": {
        "post": {
            "summary": "OCSP responder of the same CA (RFC 6960), signed by the CA itself",
            "requestBody": {"required": True, "content": {"application/ocsp-request": {"schema": _ref("Der")}}},
            "responses": {
                "200": _ok(
                    "an OCSP response: good/revoked, or unauthorized (another CA) / malformedRequest",
                    "Der",
                    "application/ocsp-response",
                ),
                "404": _error("no CA configured"),
                "413": _error("body over 1 MiB"),
                "429": _limited("per client address"),
            },
        }
    },
    "/health": {"get": {"summary": "Liveness", "responses": {"200": _ok("ok", "Health")}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": {"200": _ok("OpenAPI 3", "OpenApi")}}},
}


@cache
def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "I-VAN protocol v1 (tui-ibhxh simulator)",
            "version": __version__,
            "description": "Update of the certificate a unit has registered with BHXH through its I-VAN.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            path: {
                method: {**op, "security": []} if path.startswith(("/auth/", "/pki/", "/health", "/openapi")) else op
                for method, op in ops.items()
            }
            for path, ops in PATHS.items()
        },
    }
