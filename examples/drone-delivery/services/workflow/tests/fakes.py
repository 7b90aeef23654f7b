"""In-process stand-ins for the package and delivery services, on 127.0.0.1."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeService:
    """Answers every request with `status` and `answer(method, path, body)`; records calls."""

    def __init__(self, status=200, answer=None, delay=None):
        self.status = status
        self.answer = answer or (lambda method, path, body: body)
        self.delay = delay  # a threading.Event to wait for before answering
        self.calls = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.calls.append(
                    {"method": self.command, "path": self.path, "body": body, "requestId": self.headers.get("X-Request-Id")}
                )
                if fake.delay is not None:
                    fake.delay.wait(5)
                data = json.dumps(fake.answer(self.command, self.path, body)).encode()
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def unused_url():
    """A URL on which nothing listens (a port taken, then released)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = httpd.server_address[1]
    httpd.server_close()
    return f"http://127.0.0.1:{port}"
