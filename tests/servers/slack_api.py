"""Local stand-ins for Slack on 127.0.0.1, the way slack-bolt's own tests mock the Web API.

* :class:`SlackApiStandIn`: a threaded HTTP server answering the Web API methods
  the bot uses (auth.test, chat.postMessage, chat.update, conversations.replies,
  views.publish, apps.connections.open) and response_url POSTs; it records every
  call with its arguments, keeps the posted messages so conversations.replies
  returns real thread history, and can be scripted to answer 429 with Retry-After.
* :class:`SocketModeStandIn`: a websocket server that plays Slack's Socket Mode
  side: it sends envelopes and collects the client's acknowledgements.
* Helpers to build and sign Events API, slash command and interactivity requests.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT_USER_ID = "UBRIEFBOT"
BOT_ID = "BBRIEFBOT"
TEAM_ID = "T0000TEST"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1234-5678-testtoken"
APP_TOKEN = "xapp-1-A0001-1234-testtoken"


@dataclass
class ApiCall:
    """One recorded request: the Web API method (or ``response_url:<name>``) and its arguments."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)


class SlackApiStandIn:
    """The Slack Web API on 127.0.0.1 (use as a context manager)."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.socket_url: str | None = None
        self._cond = threading.Condition()
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._failures: dict[str, list[tuple[int, int]]] = {}
        self._ts = itertools.count(1)
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                stand_in._handle(self)

            def do_POST(self) -> None:
                stand_in._handle(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> SlackApiStandIn:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SlackApiStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for ``WebClient(base_url=...)`` / ``BRIEFBOT_SLACK_API_URL``."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str | None = None) -> str:
        """A response_url whose POSTs are recorded as ``response_url:<name>``."""
        return f"http://127.0.0.1:{self.port}/respond/{name or uuid.uuid4().hex[:8]}"

    # --- scripting -------------------------------------------------------------------
    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U0USER",
        ts: str | None = None,
        thread_ts: str | None = None,
        **extra: Any,
    ) -> str:
        """Put a person's message into a channel (so conversations.replies returns it); returns its ts."""
        ts = ts or self.next_ts()
        msg = {"type": "message", "user": user, "text": text, "ts": ts, **extra}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        with self._cond:
            self._messages.setdefault(channel, []).append(msg)
        return ts

    def fail_next(self, method: str, *, status: int = 429, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``status`` (and Retry-After)."""
        with self._cond:
            self._failures.setdefault(method, []).extend([(status, retry_after)] * times)

    def next_ts(self) -> str:
        """A fresh, increasing message timestamp."""
        return f"{1_700_000_000 + next(self._ts)}.000100"

    # --- inspection ------------------------------------------------------------------
    def calls_to(self, method: str) -> list[ApiCall]:
        """Recorded calls of one method (``response_url`` matches every response_url POST)."""
        with self._cond:
            return [c for c in self.calls if c.method == method or c.method.startswith(method + ":")]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 30.0,
        where: Callable[[ApiCall], bool] | None = None,
    ) -> list[ApiCall]:
        """Block until ``count`` matching calls were recorded; raises TimeoutError with the calls seen."""

        def matching() -> list[ApiCall]:
            return [
                c
                for c in self.calls
                if (c.method == method or c.method.startswith(method + ":")) and (where is None or where(c))
            ]

        with self._cond:
            if not self._cond.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                seen = [(c.method, str(c.args.get("text", ""))[:80]) for c in self.calls]
                raise TimeoutError(f"expected {count} {method} call(s); saw {seen}")
            return matching()

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """Messages of a thread as conversations.replies returns them."""
        with self._cond:
            msgs = [
                m
                for m in self._messages.get(channel, [])
                if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts
            ]
        return sorted(msgs, key=lambda m: m["ts"])

    # --- HTTP --------------------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        path, _, query = req.path.partition("?")
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length).decode("utf-8") if length else ""
        args: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
        ctype = req.headers.get("Content-Type") or ""
        if raw and "json" in ctype:
            args.update(json.loads(raw))
        elif raw:
            args.update({k: v[-1] for k, v in urllib.parse.parse_qs(raw).items()})
        for key in ("blocks", "metadata", "view"):
            if isinstance(args.get(key), str) and args[key].startswith(("[", "{")):
                args[key] = json.loads(args[key])
        auth = req.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ") or args.get("token")

        if path.startswith("/respond/"):
            self._record(ApiCall("response_url:" + path.rsplit("/", 1)[-1], args, token))
            self._send(req, 200, "ok", "text/plain")
            return
        method = path.removeprefix("/api/")
        with self._cond:
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            status, retry_after = failure
            self._record(ApiCall(f"{method}:failed-{status}", args, token))
            self._send(
                req,
                status,
                json.dumps({"ok": False, "error": "ratelimited"}),
                "application/json",
                {"Retry-After": str(retry_after)},
            )
            return
        self._record(ApiCall(method, args, token))
        self._send(req, 200, json.dumps(self._answer(method, args, token)), "application/json")

    def _record(self, call: ApiCall) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    @staticmethod
    def _send(
        req: BaseHTTPRequestHandler, status: int, body: str, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        data = body.encode("utf-8")
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        for key, value in (headers or {}).items():
            req.send_header(key, value)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":
            if not (token or "").startswith("xapp-"):
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.socket_url or "ws://127.0.0.1:9/"}
        if not (token or "").startswith("xoxb-") or "invalid" in (token or ""):
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://briefbot-test.slack.com/",
                "team": "Test",
                "user": "briefbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self.next_ts()
            msg = {
                "type": "message",
                "subtype": "bot_message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": args.get("text", ""),
                "ts": ts,
                "blocks": args.get("blocks") or [],
            }
            if args.get("thread_ts"):
                msg["thread_ts"] = args["thread_ts"]
            if args.get("metadata"):
                msg["metadata"] = args["metadata"]
            with self._cond:
                self._messages.setdefault(str(args.get("channel")), []).append(msg)
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": msg}
        if method == "chat.update":
            with self._cond:
                for msg in self._messages.get(str(args.get("channel")), []):
                    if msg["ts"] == args.get("ts"):
                        msg.update(text=args.get("text", ""), blocks=args.get("blocks") or [])
                        if args.get("metadata"):
                            msg["metadata"] = args["metadata"]
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "conversations.replies":
            msgs = self.thread(str(args.get("channel")), str(args.get("ts")))
            return {"ok": True, "messages": msgs, "has_more": False}
        if method == "views.publish":
            return {"ok": True, "view": args.get("view")}
        return {"ok": True}


class SocketModeStandIn:
    """Slack's side of Socket Mode on 127.0.0.1: hands out envelopes, records acknowledgements."""

    def __init__(self, api: SlackApiStandIn) -> None:
        from websockets.sync.server import serve

        self.acks: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._connections: list[Any] = []
        self._server = serve(self._session, "127.0.0.1", 0)
        self.port = int(self._server.socket.getsockname()[1])
        api.socket_url = f"ws://127.0.0.1:{self.port}/link/?ticket=test"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SocketModeStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()

    def _session(self, connection: Any) -> None:
        connection.send(
            json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0001"}})
        )
        with self._cond:
            self._connections.append(connection)
            self._cond.notify_all()
        try:
            for raw in connection:
                message = json.loads(raw) if isinstance(raw, str) and raw.startswith("{") else {}
                if "envelope_id" in message:
                    with self._cond:
                        self.acks[message["envelope_id"]] = message
                        self._cond.notify_all()
        except Exception:
            pass
        finally:
            with self._cond:
                if connection in self._connections:
                    self._connections.remove(connection)

    def wait_connected(self, timeout: float = 15.0) -> None:
        """Block until the bot's Socket Mode client has connected."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._connections), timeout=timeout):
                raise TimeoutError("the Socket Mode client did not connect")

    def send(
        self,
        payload: dict[str, Any],
        *,
        kind: str = "events_api",
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
    ) -> str:
        """Deliver one envelope; returns its envelope_id."""
        envelope_id = envelope_id or uuid.uuid4().hex
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._cond:
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 15.0) -> dict[str, Any]:
        """The client's acknowledgement of one envelope."""
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self.acks, timeout=timeout):
                raise TimeoutError(f"envelope {envelope_id} was not acknowledged")
            return self.acks[envelope_id]


# --- request builders ------------------------------------------------------------------
def event_body(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API ``event_callback`` envelope."""
    return {
        "token": "legacy",
        "team_id": TEAM_ID,
        "api_app_id": "A0001",
        "type": "event_callback",
        "event": event,
        "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def mention(
    text: str, *, channel: str = "C0GENERAL", user: str = "U0ALICE", ts: str, thread_ts: str | None = None
) -> dict[str, Any]:
    """An app_mention event (``text`` without the leading mention)."""
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(
    text: str,
    *,
    channel: str,
    user: str = "U0ALICE",
    ts: str,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    **extra: Any,
) -> dict[str, Any]:
    """A message event (``channel_type='im'`` for a DM)."""
    event = {
        "type": "message",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type,
        **extra,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def command_form(
    command: str,
    text: str,
    *,
    response_url: str,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    channel_name: str = "general",
) -> str:
    """A slash command request body (form-encoded)."""
    return urllib.parse.urlencode(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "channel_id": channel,
            "channel_name": channel_name,
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "response_url": response_url,
            "trigger_id": "tr-" + uuid.uuid4().hex[:8],
            "api_app_id": "A0001",
        }
    )


def action_payload(
    action_id: str,
    value: str,
    *,
    response_url: str,
    user: str = "U0ALICE",
    channel: str = "C0GENERAL",
    message_ts: str = "1700000000.000100",
) -> dict[str, Any]:
    """A block_actions payload for one button click."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A0001",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "channel": {"id": channel},
        "message": {"ts": message_ts, "text": "answer"},
        "response_url": response_url,
        "trigger_id": "tr-" + uuid.uuid4().hex[:8],
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "briefbot_feedback",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }


def action_form(payload: dict[str, Any]) -> str:
    """Interactivity request body (form-encoded ``payload=``)."""
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def signed_headers(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/json",
) -> dict[str, str]:
    """X-Slack-Signature and X-Slack-Request-Timestamp as Slack computes them."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": content_type,
    }


def post(url: str, body: str, headers: dict[str, str], *, timeout: float = 30.0) -> tuple[int, str]:
    """POST to the bot; returns (status, body)."""
    req = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@contextmanager
def serving(bot: Any) -> Iterator[str]:
    """Serve a SlackBot with briefbot's HTTP runner on 127.0.0.1; yields the /slack/events URL."""
    from bot.slack.runner import make_http_server

    server = make_http_server(bot.app, "127.0.0.1", 0, workers=bot.ctx.workers)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    finally:
        server.shutdown()
        server.server_close()


# --- a fake service for fast unit tests ----------------------------------------------
@dataclass
class FakeStatus:
    """Looks like indexing.store.IndexStatus."""

    documents: int = 3
    chunks: int = 1234
    last_indexed: Any = "2025-01-02T03:04:05+00:00"
    model: str = "bundled:all-MiniLM-L6-v2"
    store: str = "chroma"


@dataclass
class FakeReport:
    """Looks like indexing.pipeline.IndexReport."""

    added: int = 0
    updated: int = 0
    deleted: int = 0
    new_documents: list[Any] = field(default_factory=list)


class FakeService:
    """Implements bot.slack.app.Service with canned, cited answers; records every call."""

    def __init__(self) -> None:
        from core.types import DocumentMeta

        self.asked: list[tuple[str, list[tuple[str, str]]]] = []
        self.summarized: list[tuple[str, bool, str]] = []
        self.reindexed = 0
        self.gate: threading.Event | None = None
        self.error: BaseException | None = None
        self.answer_text: Callable[[str], str] = lambda q: (
            f"Volt Typhoon targeted the energy sector [1]. ({q})"
        )
        self.quote = "Volt Typhoon actors have targeted communications, energy and water sectors."
        self.title = "CISA advisory AA24-038A"
        self.url = "https://www.cisa.gov/news-events/cybersecurity-advisories/aa24-038a"
        self.refuse = False
        self.status_value = FakeStatus()
        self.new_documents = [
            DocumentMeta(
                doc_id="d1",
                source="reports/new-report.md",
                title="New report on ICS",
                publisher="NCSC",
                published="2025-01-01",
                url="https://ncsc.gov.uk/r",
            )
        ]
        self._lock = threading.Lock()

    def ask(self, question: str, *, history: Any = (), filters: Any = None) -> Any:
        from bot.results import Answer, Citation
        from core.types import Passage

        with self._lock:
            self.asked.append((question, list(history)))
        if self.gate is not None:
            self.gate.wait(30)
        if self.error is not None:
            raise self.error
        passage = Passage(
            chunk_id="c1",
            text=self.quote,
            source="cisa/aa24-038a.md",
            title=self.title,
            publisher="CISA",
            published="2024-02-07",
            url=self.url,
        )
        if self.refuse:
            return Answer(
                question=question,
                answer="Nothing in the indexed reports answers this.",
                refused=True,
                method="extractive",
                passages=[passage],
            )
        citation = Citation(
            n=1,
            source="cisa/aa24-038a.md",
            title=self.title,
            publisher="CISA",
            published="2024-02-07",
            page="3",
            url=self.url,
            quote=self.quote,
        )
        return Answer(
            question=question,
            answer=self.answer_text(question),
            refused=False,
            method="extractive",
            citations=[citation],
            passages=[passage],
        )

    def summarize(self, source: str, *, indexed: bool = False, length: str = "medium") -> Any:
        from bot.results import Summary, SummaryCitation, SummaryPoint

        with self._lock:
            self.summarized.append((source, indexed, length))
        if self.gate is not None:
            self.gate.wait(30)
        if self.error is not None:
            raise self.error
        points = [
            SummaryPoint(f"Point {i} about {source}.", [SummaryCitation(quote=f"Quote {i}.", page=str(i))])
            for i in range(1, 6)
        ]
        return Summary(
            title=f"Title of {source}",
            source=source,
            publisher="NCSC",
            published="2025-01-01",
            url="https://ncsc.gov.uk/r",
            points=points,
        )

    def status(self) -> Any:
        return self.status_value

    def reindex(self) -> Any:
        self.reindexed += 1
        return FakeReport(added=len(self.new_documents), new_documents=list(self.new_documents))

    def digest(self, *, new: bool = False) -> list[Any]:
        return []
