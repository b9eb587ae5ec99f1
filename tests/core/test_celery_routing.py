"""Celery routing matches the code: every task declares its queue where it is defined, the
router sends it there, and every declared queue has a consumer in `dev.py up` and in
docker/compose.yaml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from config.celery_app import app

ROOT = Path(__file__).resolve().parents[2]
DECLARED = {queue.name for queue in settings.CELERY_TASK_QUEUES}


def _our_tasks() -> dict:
    app.loader.import_default_modules()
    tasks = {name: task for name, task in app.tasks.items() if name.startswith("apps.")}
    assert len(tasks) >= 9  # academy, roster, notifications, payments, tenancy, ops, core
    return tasks


def _routed_queue(name: str, options: dict | None = None, task=None) -> str:
    route = app.amqp.router.route(dict(options or {}), name, (), {}, task)
    return route["queue"].name


def test_every_task_declares_a_queue_that_exists():
    for name, task in _our_tasks().items():
        assert getattr(task, "queue_name", None) in DECLARED, f"{name} declares no queue of CELERY_TASK_QUEUES"


def test_every_task_is_routed_to_its_declared_queue_sent_as_a_task_or_by_name():
    for name, task in _our_tasks().items():
        assert _routed_queue(name, task._get_exec_options(), task) == task.queue_name, name
        assert _routed_queue(name) == task.queue_name, f"{name} sent by name (beat, send_task)"
    assert _routed_queue("apps.roster.tasks.import_students") == "imports"
    assert _routed_queue("apps.notifications.tasks.send_message") == "notifications"
    assert _routed_queue("apps.ops.tasks.report_backups") == "reports"


def test_an_explicit_queue_when_sending_still_wins_and_celerys_own_tasks_go_to_default():
    assert _routed_queue("apps.academy.tasks.daily", {"queue": "reports"}) == "reports"
    assert _routed_queue("celery.backend_cleanup") == settings.CELERY_TASK_DEFAULT_QUEUE in DECLARED


def test_routes_name_no_app_that_does_not_exist():
    for route in settings.CELERY_TASK_ROUTES:
        module = route.rsplit(".", 1)[0]
        assert (ROOT / module.replace(".", "/")).with_suffix(".py").exists(), route


def _dev_up_queues() -> set[str]:
    text = (ROOT / "dev.py").read_text()
    queues = re.search(r'^QUEUES = "([^"]+)"', text, re.M).group(1).split(",")
    assert '"-Q",\n                QUEUES,' in text  # the worker `up` starts consumes them
    return set(queues)


def _compose_queues() -> set[str]:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    script = (ROOT / "docker" / "entrypoint.sh").read_text()
    defaults = {
        "worker": re.search(r'QUEUES_CPU="([^"]+)"', script).group(1),
        "gpu-worker": re.search(r'QUEUES_GPU="([^"]+)"', script).group(1),
    }
    for role in defaults:
        assert re.search(rf'^  {role}\)\n(?:.*\n)*?.*-Q "\$\{{CELERY_QUEUES:-\$QUEUES_', script, re.M), role
    consumed = set()
    for service in compose["services"].values():
        role = (service.get("command") or [None])[0]
        if role in defaults:
            environment = {**compose.get("x-app", {}).get("environment", {}), **(service.get("environment") or {})}
            consumed |= set((environment.get("CELERY_QUEUES") or defaults[role]).split(","))
    return consumed


@pytest.mark.parametrize("consumers", [_dev_up_queues, _compose_queues], ids=["dev.py up", "docker compose"])
def test_every_declared_queue_has_a_consumer(consumers):
    consumed = consumers()
    assert consumed >= DECLARED, f"no consumer for {sorted(DECLARED - consumed)}"
    assert consumed <= DECLARED, f"consumers of undeclared queues {sorted(consumed - DECLARED)}"
