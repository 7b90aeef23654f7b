"""HTTP server of the workflow service (http.server, one thread per request)."""

import json
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import SERVICE_NAME
from .clients import UpstreamError
from .validation import ValidationError, validate_delivery_request

MAX_BODY_BYTES = 64 * 1024


def stdout_log(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def log_event(log, **fields):
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    log(json.dumps({"time": now, "service": SERVICE_NAME, **fields}, separators=(",", ":")))


class _HttpError(Exception):
    def __init__(self, status, body):
        super().__init__(body.get("error", ""))
        self.status = status
        self.body = body


class WorkflowHandler(BaseHTTPRequestHandler):
    server_version = "drone-workflow"
    # A client that opens a connection and sends nothing must not hold a
    # thread (and so a graceful shutdown) forever.
    timeout = 30

    # --- plumbing -------------------------------------------------------

    def parse_request(self):
        self._started = time.monotonic()
        self._request_id = None
        ok = super().parse_request()
        if ok:
            self._request_id = self.headers.get("X-Request-Id") or str(uuid.uuid4())
        return ok

    def log_request(self, code="-", size="-"):
        started = getattr(self, "_started", time.monotonic())
        log_event(
            self.server.log,
            requestId=getattr(self, "_request_id", None),
            method=self.command,
            path=self.path,
            status=int(code) if str(code).isdigit() else code,
            durationMs=round((time.monotonic() - started) * 1000, 1),
        )

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        log_event(self.server.log, level="warn", msg=format % args)

    def _send_json(self, status, body, headers=None):
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if self._request_id:
            self.send_header("X-Request-Id", self._request_id)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _read_json(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise _HttpError(400, {"error": "Content-Length is not a number"})
        if length > MAX_BODY_BYTES:
            raise _HttpError(413, {"error": f"request body is larger than {MAX_BODY_BYTES} bytes"})
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise _HttpError(400, {"error": "request body is not valid JSON"})

    def _dispatch(self):
        path = urlsplit(self.path).path
        routes = {
            "/healthz": {"GET": self._healthz, "HEAD": self._healthz},
            "/version": {"GET": self._version, "HEAD": self._version},
            "/workflows": {"POST": self._create_workflow},
        }
        methods = routes.get(path)
        try:
            if methods is None:
                raise _HttpError(404, {"error": f"no route for {self.command} {path}"})
            handler = methods.get(self.command)
            if handler is None:
                allow = ", ".join(methods)
                self._send_json(405, {"error": f"method {self.command} not allowed on {path}"}, {"Allow": allow})
                return
            handler()
        except _HttpError as err:
            self._send_json(err.status, err.body)
        except Exception as err:  # the service must answer even when a handler is wrong
            log_event(self.server.log, level="error", msg=f"unhandled error: {err!r}")
            self._send_json(500, {"error": "internal error"})

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch

    # --- routes -----------------------------------------------------------

    def _healthz(self):
        self._send_json(200, {"status": "ok"})

    def _version(self):
        self._send_json(200, {"service": SERVICE_NAME, "version": self.server.version, "revision": self.server.revision})

    def _create_workflow(self):
        body = self._read_json()
        try:
            request = validate_delivery_request(body)
        except ValidationError as err:
            raise _HttpError(400, {"error": str(err), "details": err.errors})
        try:
            result = self.server.workflow.start(request, request_id=self._request_id)
        except UpstreamError as err:
            # 4xx: the downstream service refused this delivery (for example a
            # package id already used for different contents): the caller's
            # problem, so 422. Anything else is ours to report as a bad gateway.
            status = 422 if err.rejected else 502
            raise _HttpError(status, {"error": str(err), "service": err.service, "upstream": err.body})
        self._send_json(201, result)


class WorkflowServer(ThreadingHTTPServer):
    # Handler threads are joined on server_close() so in-flight requests
    # finish during a graceful shutdown.
    daemon_threads = False
    block_on_close = True

    def __init__(self, address, workflow, version="0.0.0-dev", revision="unknown", log=stdout_log):
        self.workflow = workflow
        self.version = version
        self.revision = revision
        self.log = log
        super().__init__(address, WorkflowHandler)


def serve_until_stopped(server, stop_event):
    """Serve until `stop_event` is set, then stop gracefully.

    Stops accepting connections first, then waits for every in-flight request
    to be answered, then returns.
    """
    watcher = threading.Thread(target=lambda: (stop_event.wait(), server.shutdown()), daemon=True)
    watcher.start()
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()  # closes the listening socket, then joins handler threads
