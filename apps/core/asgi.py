"""Django's ASGI handler for HTTP, changed in two ways that bench/load measured
(README "Benchmarks"):

1. The middleware chain is loaded in sync mode, as under WSGI. Django's ASGI handler loads
   it in async mode: every middleware here is sync-only, so a request crossed from the event
   loop into a thread for the chain, back to the loop at the innermost middleware
   (async_to_sync around `_get_response_async`), and into the thread again for the view.
   Now the whole chain and view run in one call on one thread.
2. That thread is one of a fixed set of "lanes" (WEB_THREADS per process) instead of a new
   thread made and joined for every request (asgiref's ThreadSensitiveContext without an
   executor). All of a request's sync work — request_started, the chain, a streamed body,
   response.close() and request_finished — runs on its lane, so its database connection
   is used and given back to the pool on the thread that opened it. The lanes bound how
   many requests run Python at once in a process: more threads than that only fight over
   the GIL (each switch waits up to sys.getswitchinterval()) and over the connection pool.

A request takes a lane once its body has been read (a slow upload holds no thread) and
waits in the event loop while all lanes are busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse
from django.urls import set_script_prefix

from apps.ops import phaselog


class _Lane(Executor):
    """A request's executor for thread-sensitive work: the lane's single thread, bound when
    the request takes one."""

    def __init__(self) -> None:
        self.thread: ThreadPoolExecutor | None = None
        self.times: list[float] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self.thread is None:
            raise RuntimeError("thread-sensitive work before the request took a lane")
        return self.thread.submit(fn, *args, **kwargs)


_lane: contextvars.ContextVar[_Lane] = contextvars.ContextVar("megacity_lane")

# A probe of where each request's time goes (LaneASGIHandler(probe=True); bench/club reads
# it): "arrived, body read, lane taken, view started, view ended, done" as perf_counter()
# readings plus the view's thread CPU time, one tuple per request. Off: nothing recorded.
request_phases: list[tuple[float, ...]] = []


class LaneASGIHandler(ASGIHandler):
    def __init__(self, threads: int, probe: bool = False, phase_log: str = "") -> None:
        if threads < 1:
            raise ValueError("WEB_THREADS must be at least 1")
        BaseHandler.__init__(self)  # not ASGIHandler.__init__: it loads the chain in async mode
        self.load_middleware(is_async=False)
        self.threads = threads
        self.probe = probe
        self.phase_log = phase_log if probe else ""
        self._free: asyncio.Queue[ThreadPoolExecutor] | None = None

    def _lanes(self) -> asyncio.Queue[ThreadPoolExecutor]:
        # Made on first use, inside the server's event loop (one per worker process).
        if self._free is None:
            self._free = asyncio.Queue()
            for number in range(self.threads):
                self._free.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"lane-{number}"))
        return self._free

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        lane = _Lane()
        if self.probe:
            lane.times = [time.perf_counter()]
            if self.phase_log:
                phaselog.start(self.phase_log, request_phases)
        token = _lane.set(lane)
        try:
            async with ThreadSensitiveContext(executor=lane):
                await self.handle(scope, receive, send)
        finally:
            _lane.reset(token)
            if self.probe and len(lane.times) == 6:
                lane.times.append(time.perf_counter())
                request_phases.append(tuple(lane.times))
            if lane.thread is not None:
                # Work still queued on the lane (a view that outlived a disconnected client,
                # then its request_finished) runs before the next request's, on the same thread.
                self._lanes().put_nowait(lane.thread)

    async def read_body(self, receive):
        body_file = await super().read_body(receive)
        lane = _lane.get()
        if self.probe:
            lane.times.append(time.perf_counter())
        lane.thread = await self._lanes().get()
        if self.probe:
            lane.times.append(time.perf_counter())
        return body_file

    async def handle(self, scope, receive, send) -> None:
        """Django's ASGIHandler.handle with a request's sync work in one trip to its lane:
        request_started, the request, the chain and view, and — for a response whose body
        is made (not streamed) — response.close() and request_finished, before the body is
        sent. Django makes three trips (request_started, the view, response.close), each a
        hand-off from the event loop to the lane and back; under load (bench/club, 500
        players) the first alone waited p95 45–180 ms for the lane's thread and the loop."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        lane = _lane.get()
        served: dict = {}

        def serve():
            if self.probe:
                lane.times.append(time.perf_counter())
                cpu = time.thread_time()
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, response = self.create_request(scope, body_file)
            if request is not None:
                response = self.get_response(request)
                response._handler_class = self.__class__
                if isinstance(response, FileResponse):
                    response.block_size = self.chunk_size  # as ASGIHandler.run_get_response
            served["response"] = response
            if not response.streaming:
                response.close()  # request_finished: the connection back to the pool, here
                served["closed"] = True
            if self.probe:
                lane.times.append(time.perf_counter())
                lane.times.append(time.thread_time() - cpu)
            return response

        async def process_request():
            response = await sync_to_async(serve, thread_sensitive=True)()
            with contextlib.suppress(asyncio.CancelledError):  # the client went away meanwhile
                await self.send_response(response, send)

        def finish():
            # After serve(), on the same lane: what it did not close, closed now; a request
            # that never got as far as a response still ends with request_finished.
            if served.get("closed"):
                return
            if "response" in served:
                served["response"].close()
            else:
                signals.request_finished.send(sender=self.__class__)

        # As Django's: a disconnect while the response is made cancels the waiting (the
        # lane's thread finishes the view regardless).
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task.done():
                    try:
                        task.result()
                    except RequestAborted:
                        pass
                    except AssertionError:
                        body_file.close()
                        raise
                else:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if not served.get("closed"):
                await sync_to_async(finish, thread_sensitive=True)()
            body_file.close()
        finally:
            # `served` lives in a closure cell made when the request arrived. A request that
            # waited for its lane across a young collection has that cell in an older
            # generation, and the cell outlives the request in a cycle (the disconnect
            # listener's RequestAborted holds this frame in its traceback): through it the
            # whole response (view, serializer, rows, request) survived every young pass,
            # until a middle pass freed them all at once — at 100 users, 70,000 objects in
            # 100-400 ms with the GIL held (bench/load). Emptied, they die young.
            served.clear()
