"""No Docker engine runs on these machines, so docker/ is checked by reading it against the
code: every role the compose file starts exists, every queue is consumed by some worker,
and the production settings load with the environment the compose file gives them."""

import re
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def entrypoint_roles() -> set[str]:
    return set(re.findall(r"^  ([a-z-]+)\)", (DOCKER / "entrypoint.sh").read_text(), re.M))


def test_every_compose_service_runs_a_role_the_entrypoint_knows():
    roles = entrypoint_roles()
    app_services = {
        name: s for name, s in compose()["services"].items() if "build" in s or s.get("image") == "megacity:latest"
    }
    assert {"web", "worker", "gpu-worker", "beat", "migrate"} <= set(app_services)
    for name, service in app_services.items():
        assert service["command"][0] in roles, name


def test_workers_consume_every_queue_and_gpu_queues_only_on_the_gpu_worker():
    script = (DOCKER / "entrypoint.sh").read_text()
    cpu = set(re.search(r'QUEUES_CPU="([^"]+)"', script).group(1).split(","))
    gpu = set(re.search(r'QUEUES_GPU="([^"]+)"', script).group(1).split(","))
    declared = {q.name for q in settings.CELERY_TASK_QUEUES}
    assert cpu | gpu == declared
    assert gpu == {q for q in declared if q.startswith("gpu.")}
    assert not cpu & gpu


def test_dockerfile_installs_files_that_exist():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    for path in re.findall(r"-r (\S+)", dockerfile):
        assert (ROOT / path).exists(), path
    assert (ROOT / "docker" / "entrypoint.sh").stat().st_mode & 0o111
    assert "config.asgi:application" in (DOCKER / "entrypoint.sh").read_text()


def test_production_settings_load_with_the_compose_environment():
    env = compose()["x-app"]["environment"]
    values = {
        "DJANGO_SETTINGS_MODULE": env["DJANGO_SETTINGS_MODULE"],
        "DJANGO_SECRET_KEY": "x" * 50,
        "DATABASE_URL": "postgres://megacity:megacity@postgres:5432/megacity",
        "REDIS_URL": env["REDIS_URL"],
        "PII_ENCRYPTION_KEYS": "bWVnYWNpdHktZGV2ZWxvcG1lbnQtb25seS1rZXktMzI=",
        "PII_BLIND_INDEX_KEY": "x" * 40,
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=values,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
