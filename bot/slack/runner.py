"""Serving the Slack app: Socket Mode (default) or HTTP at /slack/events.

The HTTP server is a threaded ``http.server`` (Bolt's own development server
handles one request at a time, which delays acknowledgements under load) that
hands each verified-by-Bolt request to ``app.dispatch``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.request import BoltRequest
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack import config
from bot.slack.app import SlackBot, create_bot
from bot.slack.context import Service, SlackContext
from bot.slack.logs import install_token_redaction
from bot.slack.workers import WorkerPool
from core.settings import Settings

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1_000_000
_log = logging.getLogger("bot.slack.runner")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def make_http_server(
    app: App,
    host: str = "127.0.0.1",
    port: int = 3000,
    path: str = EVENTS_PATH,
    *,
    workers: WorkerPool | None = None,
) -> ThreadingHTTPServer:
    """A threaded HTTP server passing POSTs at ``path`` to the Bolt app (``port=0`` picks a free port).

    With ``workers``, answer jobs wait to start while requests are being acknowledged.
    """
    acknowledging = workers.acknowledging if workers is not None else contextlib.nullcontext

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            _log.debug("%s " + format, self.address_string(), *args)

        def do_GET(self) -> None:
            if self.path.partition("?")[0] == "/health":
                self._send(200, {"Content-Type": ["text/plain"]}, "ok")
            else:
                self._send(404, {}, "")

        def do_POST(self) -> None:
            request_path, _, query = self.path.partition("?")
            if request_path != path:
                self._send(404, {}, "")
                return
            with acknowledging():
                self._dispatch(query)

        def _dispatch(self, query: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._send(413, {}, "")
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            headers: dict[str, str | Sequence[str]] = {}
            for key in self.headers:
                headers[key.lower()] = self.headers.get_all(key) or []
            response = app.dispatch(BoltRequest(body=body, query=query, headers=headers))
            self._send(response.status, response.headers, response.body)

        def _send(self, status: int, headers: dict[str, Any], body: str | dict[str, Any]) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
            self.send_response(status)
            for key, values in headers.items():
                if key.lower() == "content-length":
                    continue
                for value in values if isinstance(values, list | tuple) else [values]:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return _Server((host, port), Handler)


class GatedSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler, marking each envelope as being acknowledged (see WorkerPool)."""

    workers: WorkerPool | None = None

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Dispatch one envelope and send its acknowledgement."""
        if self.workers is None:
            super().handle(client, req)
            return
        with self.workers.acknowledging():
            super().handle(client, req)


def prefer_short_waits(interval: float = 0.0005) -> None:
    """Shorten the interpreter's thread switch interval (default 5 ms) in the bot process.

    Answer workers run CPU-bound Python; with the default interval every
    acknowledgement thread waits up to 5 ms each time it needs the GIL back after
    I/O, which adds up under a burst of events. Acknowledgements must be fast; the
    small throughput cost on answers does not matter.
    """
    sys.setswitchinterval(interval)


def warm_up(ctx: SlackContext) -> None:
    """Load the index status (and, through a search, the embedding model) before the first question."""

    def run() -> None:
        ctx.index_status()
        search = getattr(ctx.service, "search", None)
        if callable(search):
            try:
                search("warm up", k=1)
            except Exception as exc:  # an empty index is fine here; the first question will say so
                _log.info("warm-up search skipped: %s", type(exc).__name__)

    ctx.workers.submit(run, label="warm-up")


def _wait_for_stop(stop: threading.Event | None) -> None:
    stop = stop or threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass


def serve_http(
    settings: Settings,
    service: Service,
    *,
    host: str = "0.0.0.0",
    port: int = 3000,
    stop: threading.Event | None = None,
) -> None:
    """Serve Events API, slash commands and interactivity at /slack/events until interrupted (or ``stop``)."""
    install_token_redaction()
    previous = sys.getswitchinterval()
    prefer_short_waits()
    bot: SlackBot = create_bot(settings, service, http=True)
    server = make_http_server(bot.app, host, port, workers=bot.ctx.workers)
    warm_up(bot.ctx)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    _log.info("briefbot is listening on http://%s:%d%s", host, server.server_address[1], EVENTS_PATH)
    try:
        _wait_for_stop(stop)
    finally:
        server.shutdown()
        server.server_close()
        bot.close(wait=True)
        sys.setswitchinterval(previous)
        _log.info("briefbot stopped")


def run_socket_mode(settings: Settings, service: Service, *, stop: threading.Event | None = None) -> None:
    """Connect over Socket Mode (SLACK_APP_TOKEN) and answer until interrupted (or ``stop``)."""
    install_token_redaction()
    app_token = config.app_token(settings)
    previous = sys.getswitchinterval()
    prefer_short_waits()
    bot = create_bot(settings, service, http=False)
    handler = GatedSocketModeHandler(
        bot.app, app_token=app_token, logger=logging.getLogger("bot.slack.socket")
    )
    handler.workers = bot.ctx.workers
    warm_up(bot.ctx)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
        _log.info("briefbot is connected to Slack over Socket Mode")
        _wait_for_stop(stop)
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        bot.close(wait=True)
        sys.setswitchinterval(previous)
        _log.info("briefbot stopped")
