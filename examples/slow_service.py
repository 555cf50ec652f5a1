"""A waiting kernel: each item is one request to a local service that answers after delay_ms.

The loop a person writes around an HTTP API or a database: the time goes to waiting for the other
side, not to Python. The service is a small threaded TCP server that this file starts once, in
its own process, the first time inputs are built (outside the timing); it stops when the process
that started it goes. Each kernel call opens a connection, sends its item's payload, and returns
the answer.

    parbench run --workload examples/slow_service.py --items 8..64 --strategies serial,threads,processes --workers 2,16
"""

import socket
import subprocess
import sys

DEFAULT_LENGTH = 100  # bytes of payload per request

SETTINGS = {
    "delay_ms": {"default": 20.0, "help": "how long the service takes to answer each request", "min": 0.0,
                 "max": 10_000.0, "label": "Delay ms"},
}

SERVICE = r"""
import socketserver, sys, threading, time

delay = float(sys.argv[1]) / 1000

class Answer(socketserver.StreamRequestHandler):
    def handle(self):
        request = self.rfile.readline()
        time.sleep(delay)
        self.wfile.write(b"done " + request)

class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 1024

server = Server(("127.0.0.1", 0), Answer)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()  # returns when the process that started this one is gone
"""

_services: dict[float, tuple[subprocess.Popen, int]] = {}


def _port(delay_ms):
    if delay_ms not in _services:
        service = subprocess.Popen([sys.executable, "-c", SERVICE, str(delay_ms)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
        _services[delay_ms] = (service, int(service.stdout.readline()))
    return _services[delay_ms][1]


def make_input(items, length, seed, delay_ms):
    port = _port(delay_ms)
    return {i: (port, f"{i:06d}:" + "x" * length) for i in range(items)}


def kernel(value):
    port, payload = value
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(payload.encode() + b"\n")
        with conn.makefile("rb") as answer:
            return answer.readline().decode().rstrip("\n")


def reference(value):
    # The answer without the wait, for checking strategies when serial is not in the sweep.
    return f"done {value[1]}"
