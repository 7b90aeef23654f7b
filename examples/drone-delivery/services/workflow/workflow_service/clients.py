"""A small JSON-over-HTTP client for the services the workflow calls."""

import json
import socket
import urllib.error
import urllib.request


class UpstreamError(Exception):
    """A call to another service failed.

    `status` is the HTTP status the service answered, or None when it could
    not be reached at all (refused, DNS failure, timeout).
    """

    def __init__(self, service, message, status=None, body=None):
        super().__init__(message)
        self.service = service
        self.status = status
        self.body = body

    @property
    def rejected(self):
        """True when the service understood the call and refused it (4xx)."""
        return self.status is not None and 400 <= self.status < 500


class ServiceClient:
    """Calls one service at `base_url` (for example http://package:8080)."""

    def __init__(self, service, base_url, timeout=10.0):
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def call(self, method, path, body=None, request_id=None):
        """Send `body` as JSON; return (status, parsed JSON answer)."""
        url = self.base_url + path
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if request_id:
            headers["X-Request-Id"] = request_id
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _parse(response.read())
        except urllib.error.HTTPError as err:
            answer = _parse(err.read())
            raise UpstreamError(
                self.service,
                f"{self.service} service answered HTTP {err.code} to {method} {path}",
                status=err.code,
                body=answer,
            ) from err
        except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise UpstreamError(
                self.service, f"{self.service} service unreachable at {self.base_url}: {reason}"
            ) from err


def _parse(raw):
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
