"""Listening sockets for the servers territoria runs (``serve``, ``up``).

The socket is bound and listening before the server says where it is: ``--port 0`` then
prints the port it got, and a client that connects as soon as it reads the line waits in the
backlog, never refused.
"""

from __future__ import annotations

import errno
import socket

from territoria.core.errors import UserError


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening, or a ``UserError`` saying why not."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        in_use = exc.errno == errno.EADDRINUSE
        raise UserError(
            f"cannot listen on {host}:{port}: " + ("the port is in use" if in_use else exc.strerror or str(exc)),
            hint=f"choose another port (--port {port + 1}, or --port 0 for any free one)"
            if in_use
            else "check --host: it must be an address of this machine",
        ) from exc
    return sock


__all__ = ["listening_socket"]
