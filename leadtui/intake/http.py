"""The webhook: `leadtui intake serve`, an ASGI app (Starlette) served by uvicorn.

`POST /leads` takes JSON or a url-encoded form (the header aliases of `import`), checks the
caller (a bearer token per source, or an HMAC-SHA256 signature of the body), and adds the
lead through `leadtui.service.add_lead` in a worker thread: the answer is sent only after
the store's write returned, i.e. once the lead is durable. `GET /health` reports the store.

Statuses: 201 new lead, 200 duplicate (repeat inquiry), 400 a bad field (named; nothing
stored), 401 no valid token or signature, 413 over 64 KB (Content-Length checked first and
the bytes counted while reading), 415 another content type, 429 past the source's rate
limit, 503 the store cannot be written. An `Idempotency-Key` is recorded on the lead as its
inquiry key (scoped by source), so a retry, even after a restart, gets the first answer and
stores nothing new. One log line per request; never the body, never a token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from leadtui.domain.model import Lead, LeadError
from leadtui.domain.phone import parse_phone
from leadtui.intake.fields import FieldError, form_pairs, json_pairs, map_pairs
from leadtui.io.csv_import import parse_received
from leadtui.service.add_lead import add_lead
from leadtui.store.protocol import AddResult, LeadStore, StoreError

MAX_BODY = 64 * 1024
SIGNATURE_HEADER = "x-leadtui-signature"
ENV_SOURCE = "web"  # the source name of the LEADTUI_INTAKE_TOKEN token
MAX_IDEMPOTENCY_KEY = 200
log = logging.getLogger("leadtui.intake")


@dataclass
class Gate:
    """Who may post: tokens and signing secrets by source, and a token bucket per source."""

    tokens: Mapping[str, str]
    secrets: Mapping[str, str]
    rate: float  # posts per second per source; bursts of 5 seconds' worth pass
    monotonic: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def by_token(self, presented: str) -> str | None:
        """The source whose token this is (every token compared, in constant time)."""
        digest = hashlib.sha256(presented.encode("utf-8", "replace")).digest()
        found = None
        for name, token in self.tokens.items():
            if hmac.compare_digest(digest, hashlib.sha256(token.encode()).digest()):
                found = name
        return found

    def by_signature(self, presented: str, body: bytes) -> str | None:
        """The source whose secret signed `body` (hex HMAC-SHA256, "sha256=" optional)."""
        given = presented.strip().removeprefix("sha256=").strip().lower().encode("ascii", "replace")
        found = None
        for name, secret in self.secrets.items():
            wanted = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
            if hmac.compare_digest(given, wanted):
                found = name
        return found

    def allow(self, source: str) -> float:
        """0 when a post from `source` may pass now, else seconds until it may."""
        now = self.monotonic()
        capacity = max(1.0, self.rate * 5)
        level, then = self._buckets.get(source, (capacity, now))
        level = min(capacity, level + (now - then) * self.rate)
        if level < 1.0:
            self._buckets[source] = (level, now)
            return (1.0 - level) / self.rate
        self._buckets[source] = (level - 1.0, now)
        return 0.0


class Refused(Exception):
    """An answer other than success: status and a one-line reason."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None):
        super().__init__(reason)
        self.status = status
        self.headers = dict(headers or {})


@dataclass
class Webhook:
    """The state the routes share: the store, the settings that shape a lead, the gate."""

    store: LeadStore
    gate: Gate
    now: Callable[[], datetime]
    region: str = "US"
    default_timezone: str = "America/New_York"

    async def post_lead(self, request: Request) -> JSONResponse:
        started = time.perf_counter()
        seen = {"source": "-"}
        lead_id, status = "-", 500
        try:
            result = await self._post(request, seen)
            lead_id = result.lead.id
            status = 201 if result.created else 200
            body: dict[str, Any] = {"id": lead_id, "duplicate": not result.created}
            if result.reopened:
                body["reopened"] = True
            return JSONResponse(body, status_code=status)
        except Refused as err:
            status = err.status
            return JSONResponse({"error": str(err)}, status_code=status, headers=err.headers)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info(
                "POST /leads source=%s status=%d lead=%s %.1fms",
                seen["source"],
                status,
                lead_id,
                elapsed,
            )

    async def _post(self, request: Request, seen: dict[str, str]) -> AddResult:
        length = request.headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                raise Refused(400, "Content-Length is not a number")
            if int(length) > MAX_BODY:
                raise Refused(413, f"the body is larger than {MAX_BODY // 1024} KB")
        auth = request.headers.get("authorization", "")
        source = None
        if auth:
            scheme, _, token = auth.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Refused(401, "use Authorization: Bearer <token>", _CHALLENGE)
            source = self.gate.by_token(token.strip())
            if source is None:
                raise Refused(401, "the token is not valid", _CHALLENGE)
        elif SIGNATURE_HEADER not in request.headers:
            raise Refused(401, "no token: send Authorization: Bearer <token>", _CHALLENGE)
        kind, charset = _content_type(request.headers.get("content-type", ""))
        if kind not in ("application/json", "application/x-www-form-urlencoded"):
            raise Refused(415, "send application/json or application/x-www-form-urlencoded")
        body = await _read(request)
        if source is None:
            source = self.gate.by_signature(request.headers[SIGNATURE_HEADER], body)
            if source is None:
                raise Refused(401, "the signature does not match the body", _CHALLENGE)
        seen["source"] = source
        wait = self.gate.allow(source)
        if wait:
            raise Refused(429, "too many posts: slow down", {"Retry-After": str(int(wait) + 1)})
        key = request.headers.get("idempotency-key", "").strip()
        if len(key) > MAX_IDEMPOTENCY_KEY:
            raise Refused(400, f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters")
        try:
            pairs = json_pairs(body) if kind == "application/json" else form_pairs(body, charset)
            fields = map_pairs(pairs)
            result = await run_in_threadpool(
                self._add, fields, source, f"http:{source}:{key}" if key else ""
            )
        except (FieldError, LeadError) as err:
            raise Refused(400, " ".join(str(err).split())[:300]) from None
        except KeyReused as err:
            raise Refused(422, str(err)) from None
        except StoreError as err:
            log.error("the lead store cannot be written: %s", err)
            raise Refused(503, "the lead store cannot be written now; retry later") from None
        return result

    def _add(self, fields: dict[str, str], source: str, key: str) -> AddResult:
        now = self.now()
        received = None
        if fields.get("received"):
            received = parse_received(
                fields["received"], default_timezone=self.default_timezone, region=self.region
            )
        result = add_lead(
            self.store,
            name=fields.get("name", ""),
            phone=fields.get("phone", ""),
            email=fields.get("email", ""),
            source=fields.get("source") or source,
            timezone=fields.get("timezone") or None,
            received_at=received,
            notes=fields.get("notes", ""),
            inquiry_key=key,
            region=self.region,
            default_timezone=self.default_timezone,
            now=now,
        )
        if result.replayed and not _same_person(result.lead, fields.get("phone", ""), self.region):
            raise KeyReused(
                "this Idempotency-Key was already used for another lead's post; "
                "send a new key for a new lead"
            )
        return result

    async def health(self, request: Request) -> JSONResponse:
        started = time.perf_counter()
        try:
            count = await run_in_threadpool(self.store.lead_count)
            status, body = 200, {"status": "ok", "backend": _backend(self.store), "leads": count}
        except (StoreError, OSError) as err:
            log.error("health: the lead store cannot be read: %s", err)
            status, body = 503, {"status": "error", "backend": _backend(self.store)}
        log.info("GET /health status=%d %.1fms", status, (time.perf_counter() - started) * 1000)
        return JSONResponse(body, status_code=status)


_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class KeyReused(Exception):
    """An Idempotency-Key sent again with another lead's number (422, not the first answer)."""


def _same_person(lead: Lead, phone: str, region: str) -> bool:
    """Whether a retried post (same key) names the lead its key first created: its number
    is one of the lead's. A retry is the same request again; a different number under the
    same key is a client bug, and answering with the first lead would lose the second."""
    try:
        number = parse_phone(phone, region).e164
    except LeadError:
        return False
    return number == lead.phone or number in lead.other_phones


def _backend(store: LeadStore) -> str:
    return "tinydb" if type(store).__name__ == "TinyLeadStore" else type(store).__name__


def _content_type(header: str) -> tuple[str, str | None]:
    kind, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip()
    return kind.strip().lower(), charset


async def _read(request: Request) -> bytes:
    """The body, counted while it arrives: 413 as soon as it passes MAX_BODY."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, f"the body is larger than {MAX_BODY // 1024} KB")
        chunks.append(chunk)
    return b"".join(chunks)


def build_app(webhook: Webhook) -> Starlette:
    """The ASGI app: POST /leads and GET /health."""
    return Starlette(
        routes=[
            Route("/leads", webhook.post_lead, methods=["POST"]),
            Route("/health", webhook.health, methods=["GET"]),
        ]
    )


def serve(webhook: Webhook, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT (uvicorn finishes the requests in flight first)."""
    import uvicorn

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    config = uvicorn.Config(
        build_app(webhook),
        host=host,
        port=port,
        access_log=False,  # our own line per request instead (no query strings, no tokens)
        log_level="warning",
        lifespan="off",
        server_header=False,
    )
    server = uvicorn.Server(config)
    # uvicorn finishes the requests in flight on SIGTERM, puts the previous handler back and
    # raises the signal again: this handler makes that a normal return (exit status 0,
    # the store closed by the command) instead of a death by signal.
    signal.signal(signal.SIGTERM, lambda *_: None)
    log.info("leadtui intake: listening on http://%s:%d", host, port)
    server.run()
    log.info("leadtui intake: stopped")
