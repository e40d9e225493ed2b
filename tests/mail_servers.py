"""Real local servers for delivery tests: SMTP (aiosmtpd) and an HTTP webhook receiver."""

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping what it accepts; it refuses the first `fail_first`
    messages with a transient 451, as a server that recovers does."""

    def __init__(self, fail_first: int = 0) -> None:
        self.messages: list[dict] = []
        self.fail_first = fail_first

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        if self.fail_first > 0:
            self.fail_first -= 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"to": envelope.rcpt_tos, "subject": message["Subject"],
                              "text": message.get_content(),
                              "data": envelope.content.decode("utf-8", "replace")})
        return "250 OK"


class SmtpServer:
    """A running aiosmtpd server on a free local port."""

    def __init__(self, fail_first: int = 0) -> None:
        self.inbox = Inbox(fail_first)
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        """SMTP_URL for this server."""
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.controller.stop()


class WebhookReceiver:
    """An HTTP server recording POSTs; answers `status` (200 unless told otherwise)."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[dict] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body,
                                          "json": json.loads(body)})
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> "WebhookReceiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
