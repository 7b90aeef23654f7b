import json
import threading
import unittest
import urllib.error
import urllib.request

from workflow_service.clients import ServiceClient
from workflow_service.server import WorkflowServer, serve_until_stopped
from workflow_service.workflow import DeliveryWorkflow

from tests.fakes import FakeService, unused_url

REQUEST = {
    "id": "d-42",
    "owner": "fabrikam",
    "pickup": {"lat": 47.6205, "lon": -122.3493},
    "dropoff": {"lat": 47.6097, "lon": -122.3331},
    "packageInfo": {"size": "medium", "weightKg": 3},
}


def package_answer(method, path, body):
    return dict(body, createdAt="2024-01-01T00:00:00Z")


def delivery_answer(method, path, body):
    return dict(body, id=path.rsplit("/", 1)[-1], status="scheduled", etaMinutes=4)


class Running:
    """A workflow server on 127.0.0.1:0, served in a thread, stopped gracefully."""

    def __init__(self, package_url, delivery_url, timeout=5.0):
        self.logs = []
        workflow = DeliveryWorkflow(
            ServiceClient("package", package_url, timeout=timeout),
            ServiceClient("delivery", delivery_url, timeout=timeout),
        )
        self.server = WorkflowServer(("127.0.0.1", 0), workflow, version="2.0.0", revision="abc", log=self.logs.append)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=serve_until_stopped, args=(self.server, self.stop), daemon=True)
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(10)

    def request(self, method, path, body=None, raw=None, headers=None):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read()), res.headers
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read()), err.headers


class WorkflowServerTest(unittest.TestCase):
    def setUp(self):
        self.packages = FakeService(status=201, answer=package_answer)
        self.deliveries = FakeService(status=201, answer=delivery_answer)
        self.app = Running(self.packages.url, self.deliveries.url)

    def tearDown(self):
        self.app.close()
        self.packages.close()
        self.deliveries.close()

    def test_healthz(self):
        self.assertEqual(self.app.request("GET", "/healthz")[:2], (200, {"status": "ok"}))

    def test_version(self):
        status, body, _ = self.app.request("GET", "/version")
        self.assertEqual((status, body), (200, {"service": "workflow", "version": "2.0.0", "revision": "abc"}))

    def test_unknown_path_and_wrong_method(self):
        self.assertEqual(self.app.request("GET", "/nope")[0], 404)
        status, _, headers = self.app.request("GET", "/workflows")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "POST")

    def test_creates_the_package_then_schedules_the_delivery(self):
        status, body, headers = self.app.request("POST", "/workflows", REQUEST, headers={"X-Request-Id": "req-9"})
        self.assertEqual(status, 201, body)
        self.assertEqual(headers["X-Request-Id"], "req-9")
        self.assertEqual(
            self.packages.calls,
            [
                {
                    "method": "POST",
                    "path": "/packages",
                    "body": {"id": "pkg-d-42", "owner": "fabrikam", "size": "medium", "weightKg": 3},
                    "requestId": "req-9",
                }
            ],
        )
        self.assertEqual(len(self.deliveries.calls), 1)
        call = self.deliveries.calls[0]
        self.assertEqual((call["method"], call["path"], call["requestId"]), ("PUT", "/deliveries/d-42", "req-9"))
        self.assertEqual(
            call["body"],
            {"owner": "fabrikam", "pickup": REQUEST["pickup"], "dropoff": REQUEST["dropoff"], "packageId": "pkg-d-42"},
        )
        self.assertEqual(body["deliveryId"], "d-42")
        self.assertEqual(body["status"], "scheduled")
        self.assertEqual(body["package"]["id"], "pkg-d-42")
        self.assertEqual(body["delivery"]["etaMinutes"], 4)

    def test_rejects_invalid_requests_without_calling_anyone(self):
        status, body, _ = self.app.request("POST", "/workflows", {"id": "x"})
        self.assertEqual(status, 400)
        self.assertIn("owner is required", body["error"])
        status, body, _ = self.app.request("POST", "/workflows", raw=b"{oops")
        self.assertEqual((status, body), (400, {"error": "request body is not valid JSON"}))
        self.assertEqual(self.packages.calls + self.deliveries.calls, [])

    def test_package_refusal_is_422(self):
        self.packages.status = 409
        self.packages.answer = lambda *_: {"error": "package pkg-d-42 exists with other contents"}
        status, body, _ = self.app.request("POST", "/workflows", REQUEST)
        self.assertEqual(status, 422)
        self.assertEqual(body["service"], "package")
        self.assertEqual(body["upstream"], {"error": "package pkg-d-42 exists with other contents"})
        self.assertEqual(self.deliveries.calls, [])

    def test_delivery_failure_is_502(self):
        self.deliveries.status = 503
        self.deliveries.answer = lambda *_: {"error": "overloaded"}
        status, body, _ = self.app.request("POST", "/workflows", REQUEST)
        self.assertEqual(status, 502)
        self.assertIn("delivery service answered HTTP 503", body["error"])

    def test_logs_one_line_per_request(self):
        self.app.request("GET", "/healthz")
        self.app.request("GET", "/nope")
        lines = [json.loads(line) for line in self.app.logs]
        self.assertEqual([(l["method"], l["path"], l["status"]) for l in lines], [("GET", "/healthz", 200), ("GET", "/nope", 404)])
        self.assertEqual(lines[0]["service"], "workflow")


class UnreachableTest(unittest.TestCase):
    def test_unreachable_package_service_is_502(self):
        app = Running(unused_url(), unused_url(), timeout=2)
        try:
            status, body, _ = app.request("POST", "/workflows", REQUEST)
        finally:
            app.close()
        self.assertEqual(status, 502)
        self.assertIn("package service unreachable", body["error"])
        self.assertIsNone(body["upstream"])


class GracefulShutdownTest(unittest.TestCase):
    def test_in_flight_request_finishes_and_new_connections_are_refused(self):
        release = threading.Event()
        packages = FakeService(status=201, answer=package_answer, delay=release)
        deliveries = FakeService(status=201, answer=delivery_answer)
        app = Running(packages.url, deliveries.url)
        result = {}
        try:
            client = threading.Thread(target=lambda: result.update(answer=app.request("POST", "/workflows", REQUEST)))
            client.start()
            while not packages.calls:  # the request is now in flight, waiting on the package service
                threading.Event().wait(0.01)
            app.stop.set()
            app.thread.join(0.5)
            self.assertTrue(app.thread.is_alive(), "server stopped before its in-flight request finished")
            with self.assertRaises(urllib.error.URLError):
                urllib.request.urlopen(app.url + "/healthz", timeout=2)
            release.set()
            client.join(10)
            app.thread.join(10)
            self.assertFalse(app.thread.is_alive())
            self.assertEqual(result["answer"][0], 201)
        finally:
            release.set()
            app.close()
            packages.close()
            deliveries.close()


if __name__ == "__main__":
    unittest.main()
