"""config.serve, the web server as the container runs it: WEB_WORKERS uvicorn processes, each
with its own SO_REUSEPORT socket on the port, under a parent that replaces a dead one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import psutil
import pytest

from tests.processes import free_port, process_env, running, serve_command


def listeners(parent: int, port: int) -> list[int]:
    """The pids of the parent's children listening on the port."""
    pids = []
    for child in psutil.Process(parent).children():
        try:
            connections = child.net_connections(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in connections):
            pids.append(child.pid)
    return pids


def wait_until_serving(process: subprocess.Popen, timeout: float = 60) -> None:
    """Until the parent says every process has started (its log line)."""
    deadline = time.monotonic() + timeout
    while b"megacity.serve: serving" not in process.log_path.read_bytes():
        assert process.poll() is None, "the server exited"
        assert time.monotonic() < deadline, f"not serving within {timeout} s"
        time.sleep(0.2)


def listening_sockets(port: int) -> int:
    """Sockets listening on the port, as the kernel lists them (not per process)."""
    return sum(1 for c in psutil.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port == port)


def served_connections(pid: int, port: int) -> int:
    return sum(
        1
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
    )


def get(sock: socket.socket) -> None:
    sock.sendall(b"GET /_test/slow?seconds=0 HTTP/1.1\r\nHost: localhost\r\n\r\n")
    answer = b""
    while not answer.endswith((b"done", b"done\r\n0\r\n\r\n")):  # chunked: no length is set
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection"
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 200")


@pytest.fixture
def server(django_db_setup):
    port = free_port()
    with running("serve", serve_command(port)) as process:
        wait_until_serving(process)
        assert len(listeners(process.pid, port)) == 2
        yield process, port


@pytest.mark.timeout(120)
def test_connections_opened_together_are_spread_over_the_processes(server):
    # Under `uvicorn --workers 2` (one socket shared by both) 100 keep-alive connections
    # opened at once went 83/17 and 89/23: the process that woke first took all that waited.
    process, port = server
    clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(100)]
    try:
        for client in clients:
            get(client)
        counts = [served_connections(pid, port) for pid in listeners(process.pid, port)]
    finally:
        for client in clients:
            client.close()
    assert sum(counts) == 100
    # The kernel picks a socket by a hash of each connection's addresses: about half each
    # (fewer than 25 of 100 on one side: odds of about 3 in 10 million).
    assert min(counts) >= 25, counts


@pytest.mark.timeout(120)
def test_a_process_that_dies_is_replaced_and_the_others_keep_serving(server):
    process, port = server
    first, second = listeners(process.pid, port)
    os.kill(first, signal.SIGKILL)
    while listening_sockets(port) > 1:  # its socket leaves the port's group as it dies
        time.sleep(0.05)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        get(client)  # served meanwhile, by the process left
    deadline = time.monotonic() + 60
    while set(listeners(process.pid, port)) - {second} == set():
        assert time.monotonic() < deadline, "the dead process was not replaced"
        time.sleep(0.2)
    assert second in listeners(process.pid, port) and first not in listeners(process.pid, port)
    for _ in range(10):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            get(client)


@pytest.mark.timeout(120)
def test_sigterm_stops_every_process_and_exits_cleanly(server):
    process, port = server
    children = listeners(process.pid, port)
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in children)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.mark.timeout(120)
def test_an_application_that_cannot_start_stops_the_server_with_status_1(django_db_setup):
    port = free_port()
    command = serve_command(port, app="tests.ops.no_such_module:application")
    result = subprocess.run(command, env=process_env(), capture_output=True, text=True, timeout=100)
    assert result.returncode == 1
    assert "did not start" in result.stderr


def test_a_port_in_use_is_refused_before_any_process_starts(django_db_setup):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(serve_command(port), env=process_env(), capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
