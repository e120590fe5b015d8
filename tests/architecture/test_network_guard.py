"""The network guard refuses what leaves the machine and lets loopback through."""

from __future__ import annotations

import socket

import pytest

from tests.support.network import NetworkGuard, guarded, is_loopback


def test_loopback_and_unix_sockets_pass_everything_else_does_not():
    assert is_loopback(("127.0.0.1", 5432)) and is_loopback(("::1", 6379, 0, 0))
    assert is_loopback(("localhost", 80)) and is_loopback("/tmp/.s.PGSQL.5432")
    assert not is_loopback(("192.0.2.10", 443)) and not is_loopback(("example.com", 443))


def test_a_connection_beyond_loopback_is_refused_and_recorded(network_guard):
    with pytest.raises(OSError, match="network guard"):
        socket.create_connection(("192.0.2.10", 443), timeout=0.5)
    assert network_guard.refused == ["('192.0.2.10', 443)"]
    network_guard.refused.clear()  # recorded as expected; the test itself passes


def test_the_guard_lets_a_local_server_answer():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    with guarded(NetworkGuard()) as guard, socket.create_connection(("127.0.0.1", port)):
        pass
    server.close()
    assert guard.refused == []
