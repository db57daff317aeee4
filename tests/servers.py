"""Local servers on 127.0.0.1 that receive alerts in tests: an HTTP webhook and an SMTP
server."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from aiosmtpd.controller import Controller


class Webhook:
    def __init__(self):
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Smtp:
    """aiosmtpd's server, which undoes SMTP's dot-stuffing: a quoted-printable line that
    begins with "." arrives as it was sent (a hand-written server once kept the doubled
    dot, and a file name broken at ".csv" went missing from a mail)."""

    def __init__(self):
        self.messages: list[str] = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                outer.messages.append(envelope.content.decode())
                return "250 OK"

        # Controller checks readiness by connecting to its port, so it needs a real one.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self):
        self.controller.stop()
