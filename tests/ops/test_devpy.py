"""dev.py's embedded Redis: `dev.py manage …` while `dev.py up` runs uses the running server
instead of starting a second one (issue 12, defect 11)."""

import importlib.util
import socket
from pathlib import Path

import pytest


@pytest.fixture
def dev(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("dev_script", Path(__file__).resolve().parents[2] / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "DATA", tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgres://unused/x")  # no embedded PostgreSQL here
    monkeypatch.delenv("REDIS_URL", raising=False)
    return module


def test_a_second_dev_process_reuses_the_running_embedded_redis(dev, monkeypatch):
    import os

    up = dev.EmbeddedServices()
    up.start("megacity")
    try:
        url = os.environ["REDIS_URL"]
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        monkeypatch.delenv("REDIS_URL")
        manage = dev.EmbeddedServices()
        manage.start("megacity")
        try:
            assert os.environ["REDIS_URL"] == url  # the same server
            assert manage.redis is None  # nothing started, so nothing to stop
        finally:
            manage.stop()  # a second server it started (the check failed) is not left running
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:  # still up for `up`
            sock.sendall(b"PING\r\n")
            assert sock.recv(16).startswith(b"+PONG")
    finally:
        up.stop()
    assert dev.running_redis(dev.DATA / "redis") is None
    monkeypatch.delenv("REDIS_URL")
    again = dev.EmbeddedServices()
    again.start("megacity")  # nothing running: starts its own
    try:
        assert again.redis is not None and again.redis.poll() is None
    finally:
        again.stop()
