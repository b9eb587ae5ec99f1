"""The web server as production runs it (`docker/entrypoint.sh web`): uvicorn on the ASGI
application in WEB_WORKERS processes, each listening on the port with a socket of its own.

    python -m config.serve [--app config.asgi:application] [--port 8000] [--workers 2]

Why not `uvicorn --workers N`: its processes share one listening socket, and whichever wakes
first accepts every connection waiting (uvloop accepts until the queue is empty). Keep-alive
clients that connect together — a proxy's upstream pool, a load generator — then stay unevenly
spread for as long as their connections live: bench/load's 100 connections went 83/17 and
89/23 over two processes, and the busier one answered at twice the latency of the other. Here
each process binds its own socket with SO_REUSEPORT and the kernel hands each new connection
to one of them by a hash of its addresses, the way nginx's `listen ... reuseport` does.

The parent starts the processes, restarts one that dies (a crash is logged; three crashes in a
row within CRASH_WINDOW seconds of starting stop the server, exit status 1, so that a
deployment that cannot start is not restarted forever), and on SIGTERM, SIGINT or SIGQUIT
passes SIGTERM on: each process stops accepting, finishes its requests (up to
--graceful seconds, GRACEFUL_SECONDS) and closes its websockets with 1001, as uvicorn does.
A process's own socket closes with it, so a stopping process takes no new connections while
the others keep serving.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass

logger = logging.getLogger("megacity.serve")

CRASH_WINDOW = 10.0  # seconds: a process that dies sooner after its start counts as a crash loop
CRASHES_TO_GIVE_UP = 3
READY_TIMEOUT = 90.0
BACKLOG = 2048


@dataclass(frozen=True)
class Options:
    app: str
    host: str
    port: int
    workers: int
    graceful: float
    keep_alive: int
    lifespan: str
    access_log: bool


def listening_socket(host: str, port: int, *, reuse_port: bool = True) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def port_is_free(host: str, port: int) -> bool:
    """Whether nothing listens on the port yet. Bound without SO_REUSEPORT: another server
    that also set it (an old copy of this one) would otherwise share the port silently."""
    try:
        listening_socket(host, port, reuse_port=False).close()
    except OSError:
        return False
    return True


def serve_process(options: Options, ready) -> None:
    """One server process: its own socket on the shared port, uvicorn on the application."""
    import uvicorn

    sock = listening_socket(options.host, options.port)
    sock.listen(BACKLOG)
    config = uvicorn.Config(
        options.app,
        proxy_headers=True,
        forwarded_allow_ips="*",
        timeout_graceful_shutdown=options.graceful,
        timeout_keep_alive=options.keep_alive,
        lifespan=options.lifespan,
        access_log=options.access_log,
    )
    server = uvicorn.Server(config)

    def report_ready() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            ready.set()

    threading.Thread(target=report_ready, daemon=True).start()
    server.run(sockets=[sock])


@dataclass
class Worker:
    process: multiprocessing.process.BaseProcess
    ready: object  # a multiprocessing Event: kept here, or its semaphore is gone before the child opens it
    since: float


class Supervisor:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[Worker] = []
        self.stopping: int | None = None
        self.crashes = 0

    def _start(self) -> Worker:
        ready = self.context.Event()
        process = self.context.Process(target=serve_process, args=(self.options, ready), name="megacity-web")
        process.start()
        return Worker(process, ready, time.monotonic())

    def _on_signal(self, signum, _frame) -> None:
        self.stopping = signum

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(signum, self._on_signal)
        self.workers = [self._start() for _ in range(self.options.workers)]
        deadline = time.monotonic() + READY_TIMEOUT
        for worker in self.workers:
            while not worker.ready.wait(0.2):
                if self.stopping is not None:  # told to stop while starting: not a failure
                    self._stop()
                    return 0
                if not worker.process.is_alive() or time.monotonic() > deadline:
                    logger.error("a web process did not start (exit status %s)", worker.process.exitcode)
                    self._stop()
                    return 1
        logger.info(
            "serving %s on %s:%s with %d processes (pids %s)",
            self.options.app,
            self.options.host,
            self.options.port,
            len(self.workers),
            ",".join(str(worker.process.pid) for worker in self.workers),
        )
        while self.stopping is None:
            time.sleep(0.2)
            if not self._replace_dead():
                self._stop()
                return 1
        self._stop()
        return 0

    def _replace_dead(self) -> bool:
        for index, worker in enumerate(self.workers):
            if worker.process.is_alive() or self.stopping is not None:
                continue
            quick = time.monotonic() - worker.since < CRASH_WINDOW
            self.crashes = self.crashes + 1 if quick else 1
            logger.error(
                "web process %s exited with status %s; starting another", worker.process.pid, worker.process.exitcode
            )
            if self.crashes >= CRASHES_TO_GIVE_UP:
                logger.error("%d web processes died within %.0f s of starting: giving up", self.crashes, CRASH_WINDOW)
                return False
            self.workers[index] = self._start()
        return True

    def _stop(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive():
                os.kill(worker.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.options.graceful + 10
        for worker in self.workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                logger.error("web process %s did not stop in time: killed", worker.process.pid)
                worker.process.kill()
                worker.process.join()


def parse(argv: list[str]) -> Options:
    env = os.environ
    parser = argparse.ArgumentParser(prog="python -m config.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="config.asgi:application")
    parser.add_argument("--host", default=env.get("HOST", "0.0.0.0"))  # noqa: S104 (a container's server)
    parser.add_argument("--port", type=int, default=int(env.get("PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(env.get("WEB_WORKERS", "2")))
    parser.add_argument(
        "--graceful", type=float, default=float(env.get("GRACEFUL_SECONDS", "25")), help="seconds to finish requests"
    )
    # Longer than a load balancer's idle timeout (60 s on the common ones): the balancer, not
    # this server, should close an idle connection, or a request sent as it closes fails (502).
    parser.add_argument("--keep-alive", type=int, default=int(env.get("WEB_KEEPALIVE_SECONDS", "75")))
    parser.add_argument("--lifespan", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--access-log", action="store_true")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return Options(
        app=args.app,
        host=args.host,
        port=args.port,
        workers=args.workers,
        graceful=args.graceful,
        keep_alive=args.keep_alive,
        lifespan=args.lifespan,
        access_log=args.access_log,
    )


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = parse(sys.argv[1:] if argv is None else argv)
    if not port_is_free(options.host, options.port):
        logger.error("port %s on %s is in use", options.port, options.host)
        return 1
    return Supervisor(options).run()


if __name__ == "__main__":
    sys.exit(main())
