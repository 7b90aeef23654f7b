// The tiny Python HTTP server the delivery benchmarks deploy: answers its
// APP_VERSION on every path but /healthz, listens on $PORT bound to $HOST,
// stops on SIGTERM.
export const SERVER_PY = `import os, signal, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
VERSION = os.environ["APP_VERSION"]
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"ok" if self.path == "/healthz" else VERSION.encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
class Server(ThreadingHTTPServer):
    daemon_threads = True
server = Server((os.environ.get("HOST", ""), int(os.environ.get("PORT", "8080"))), Handler)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever(poll_interval=0.1)
`;
