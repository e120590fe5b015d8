"""The network guard: no test reaches beyond this machine.

Every socket `connect` goes through `NetworkGuard.check`: loopback addresses (and Unix
sockets) pass; anything else is refused with `OSError` before a packet leaves, and recorded,
so the autouse fixture in `tests/conftest.py` fails the test even when the code under test
swallowed the error (an upstream client turning it into "service unavailable", say).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager

_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(address: object) -> bool:
    """True for a loopback (or Unix socket) address as `socket.connect` takes it."""
    if not isinstance(address, tuple):
        return True  # AF_UNIX path (str/bytes)
    host = str(address[0]).split("%")[0]
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost would need DNS: not local


class NetworkGuard:
    """Refuses and records connections to non-loopback addresses."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    def check(self, address: object) -> None:
        """Raise `OSError` (and remember) when `address` is not on this machine."""
        if not is_loopback(address):
            self.refused.append(repr(address))
            raise OSError(f"test network guard: no connections beyond loopback ({address!r})")


@contextmanager
def guarded(guard: NetworkGuard) -> Iterator[NetworkGuard]:
    """Route `socket.socket.connect` / `connect_ex` through `guard` for the block."""
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guarded_connect(self, address):
        guard.check(address)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        guard.check(address)
        return connect_ex(self, address)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    try:
        yield guard
    finally:
        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
