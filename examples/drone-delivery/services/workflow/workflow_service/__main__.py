"""python -m workflow_service: configuration from the environment, SIGTERM handling."""

import os
import signal
import threading

from . import SERVICE_NAME
from .clients import ServiceClient
from .server import WorkflowServer, log_event, serve_until_stopped, stdout_log
from .workflow import DeliveryWorkflow


def _service_url(name):
    variable = f"{name.upper()}_URL"
    url = os.environ.get(variable) or f"http://{name}:8080"
    if not os.environ.get(variable):
        log_event(stdout_log, level="warn", msg=f"{variable} is not set; using {url}")
    return url


def main():
    port = int(os.environ.get("PORT") or 8080)
    timeout = float(os.environ.get("UPSTREAM_TIMEOUT_SECONDS") or 10)
    workflow = DeliveryWorkflow(
        packages=ServiceClient("package", _service_url("package"), timeout=timeout),
        deliveries=ServiceClient("delivery", _service_url("delivery"), timeout=timeout),
    )
    server = WorkflowServer(
        (os.environ.get("HOST") or "", port),  # HOST=127.0.0.1 on slipway's host network
        workflow,
        version=os.environ.get("SLIPWAY_VERSION") or "0.0.0-dev",
        revision=os.environ.get("SLIPWAY_REVISION") or "unknown",
    )
    stop = threading.Event()

    def on_signal(signum, _frame):
        log_event(stdout_log, level="info", msg=f"{signal.Signals(signum).name} received; finishing in-flight requests")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log_event(stdout_log, level="info", msg=f"listening on :{port}", logLevel=os.environ.get("LOG_LEVEL", "info"))
    serve_until_stopped(server, stop)
    log_event(stdout_log, level="info", msg="stopped")


if __name__ == "__main__":
    main()
