"""The HTTPS server under both emulators: HTTP/1.1 with persistent connections, one thread each.

Werkzeug's development server answers every request with ``Connection: close``, so a client
pays a TCP connect and a TLS handshake per call. ``KeepAliveHandler`` serves HTTP/1.1 as the
vendors do: a connection stays open for the next request unless the client asks to close it
(or speaks HTTP/1.0). Each request's body is read in full before the app runs, so whatever the
app leaves unread never mixes with the next request on the connection, and every answer carries
its ``Content-Length``. A connection dropped by fault injection (``DroppedConnection``) is
closed, as before.

``KeepAliveServer`` counts the connections it accepted and closes the open ones on
``close_connections()``, so that a stopped sandbox answers nobody.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import ssl
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from leadsync.sandbox.http import DroppedConnection

NO_BODY_STATUSES = frozenset({204, 304})
log = logging.getLogger("werkzeug")


class KeepAliveHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        """Serve the connection's requests; a connection closed under it (by the client, by
        ``close_connections``) just ends it."""
        with contextlib.suppress(OSError, ValueError):
            super().handle()

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("wsgi.input_terminated", None)
        self.environ = environ
        answer: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return lambda data: None

        try:
            chunks = self.server.app(environ, start_response)
            try:
                payload = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except DroppedConnection:
            self.close_connection = True  # the socket is closed: nothing more to say
            return
        except Exception:
            self.close_connection = True
            log.exception("Error on %s %s", environ["REQUEST_METHOD"], environ["PATH_INFO"])
            answer, payload = ["500 INTERNAL SERVER ERROR", []], b""
        self._send(str(answer[0]), answer[1], payload, environ["REQUEST_METHOD"])

    def _send(self, status: str, headers: list[tuple[str, str]], payload: bytes,
              method: str) -> None:
        code_text, _, message = status.partition(" ")
        code = int(code_text)
        self.send_response(code, message)
        for key, value in headers:
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(key, value)
        if code not in NO_BODY_STATUSES and not 100 <= code < 200:
            self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # Head and body leave in one write: two small writes would wait out Nagle's algorithm
        # against the client's delayed acknowledgement.
        self._headers_buffer.append(b"\r\n")
        if method != "HEAD" and code not in NO_BODY_STATUSES:
            self._headers_buffer.append(payload)
        self.flush_headers()


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # chunked: werkzeug has put a dechunker in front
        return bytes(stream.read())
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return bytes(stream.read(length)) if length > 0 else b""


class KeepAliveServer(ThreadedWSGIServer):
    """A threaded WSGI server that keeps count of its connections and can close them all."""

    def __init__(self, host: str, port: int, app: Any,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(host, port, app, handler=KeepAliveHandler, ssl_context=ssl_context)
        self.connections_accepted = 0
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self.connections_accepted += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Close every connection still open (clients see them dropped)."""
        with self._open_lock:
            held, self._open = list(self._open), set()
        for sock in held:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
