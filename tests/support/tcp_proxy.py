"""A loopback TCP proxy that can cut every connection through it abruptly, as a dropped network does.

It forwards bytes both ways between clients and one upstream address. `cut()` resets every open
connection on both sides at once (SO_LINGER 0, then close: an RST, no FIN and no websocket close
frame), so each end sees its connection simply vanish. New connections are accepted as before, so a
client that reconnects gets through again.

One thread does everything with a selector, so a cut can never race with a forward in flight.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import threading
from dataclasses import dataclass, field

from hub.embedded import free_port

_RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST and drops unsent data


@dataclass
class _Link:
    client: socket.socket
    upstream: socket.socket
    pending: dict[socket.socket, bytearray] = field(default_factory=dict)  # bytes waiting to go out on a socket

    def peer(self, sock: socket.socket) -> socket.socket:
        return self.upstream if sock is self.client else self.client


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.accepted = 0  # connections ever accepted: a reconnecting client raises it
        self.cuts = 0
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._links: dict[socket.socket, _Link] = {}
        self._requests: list[tuple[str, threading.Event]] = []
        self._lock = threading.Lock()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=f"tcp-proxy-{self.port}", daemon=True)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len({id(link) for link in self._links.values()})

    def start(self) -> TcpProxy:
        self._selector.register(self._listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_read, selectors.EVENT_READ, "wake")
        self._thread.start()
        return self

    def cut(self, timeout: float = 10.0) -> int:
        """Reset every open connection now; returns how many were cut."""
        done = threading.Event()
        before = self.open_connections
        with self._lock:
            self._requests.append(("cut", done))
        self._wake_write.send(b"x")
        if not done.wait(timeout):
            raise TimeoutError("the proxy did not cut its connections")
        return before

    def close(self) -> None:
        self._closing = True
        self._wake_write.send(b"x")
        self._thread.join(10)
        self._listener.close()
        self._wake_read.close()
        self._wake_write.close()
        self._selector.close()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the proxy thread --------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._closing:
            for key, mask in self._selector.select(timeout=0.5):
                if key.data == "accept":
                    self._accept()
                elif key.data == "wake":
                    self._wake_read.recv(1024)
                    self._serve_requests()
                else:
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock not in self._links:
                        continue  # dropped earlier in this round
                    if mask & selectors.EVENT_WRITE:
                        self._flush(sock)
                    if mask & selectors.EVENT_READ and sock in self._links:
                        self._forward(sock)
        self._reset_all()

    def _serve_requests(self) -> None:
        with self._lock:
            requests, self._requests = self._requests, []
        for action, done in requests:
            if action == "cut":
                self._reset_all()
                self.cuts += 1
            done.set()

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except BlockingIOError:
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = _Link(client, upstream, {client: bytearray(), upstream: bytearray()})
        with self._lock:
            self._links[client] = link
            self._links[upstream] = link
        self._selector.register(client, selectors.EVENT_READ)
        self._selector.register(upstream, selectors.EVENT_READ)
        self.accepted += 1

    def _forward(self, sock: socket.socket) -> None:
        link = self._links[sock]
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            # One side closed: pass on what is still buffered, then close the other the ordinary way.
            self._drain(link.peer(sock), link.pending[link.peer(sock)])
            self._drop(link, reset=False)
            return
        target = link.peer(sock)
        link.pending[target] += data
        self._flush(target)

    def _flush(self, sock: socket.socket) -> None:
        link = self._links[sock]
        buffer = link.pending[sock]
        try:
            while buffer:
                sent = sock.send(buffer)
                del buffer[:sent]
        except BlockingIOError:
            pass
        except OSError:
            self._drop(link, reset=False)
            return
        self._selector.modify(sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if buffer else 0))

    @staticmethod
    def _drain(sock: socket.socket, buffer: bytearray) -> None:
        if not buffer:
            return
        with contextlib.suppress(OSError):
            sock.settimeout(2.0)
            sock.sendall(buffer)
        buffer.clear()

    def _drop(self, link: _Link, *, reset: bool) -> None:
        with self._lock:
            self._links.pop(link.client, None)
            self._links.pop(link.upstream, None)
        for sock in (link.client, link.upstream):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            if reset:
                _reset(sock)
            else:
                sock.close()

    def _reset_all(self) -> None:
        with self._lock:
            links = {id(link): link for link in self._links.values()}
        for link in links.values():
            self._drop(link, reset=True)


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
    sock.close()
