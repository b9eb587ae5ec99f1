"""The HTTP handler of config.asgi (apps/core/asgi.py): the middleware chain in sync mode, a
request's sync work on one of a bounded set of threads, run in-process through its ASGI
interface."""

import asyncio
import gc
import threading
import weakref

import pytest
from django.core.signals import request_finished, request_started
from django.http import StreamingHttpResponse

from apps.core.asgi import LaneASGIHandler


def scope(path: str = "/health/live") -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def call(handler, path: str = "/health/live") -> tuple[int, bytes]:
    sent: list[dict] = []
    done = asyncio.Event()

    async def receive():
        if not sent and not done.is_set():
            done.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the response is made

    async def send(message):
        sent.append(message)

    await handler(scope(path), receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


class Recorder:
    """The thread of each request_started, middleware-chain run and request_finished, and
    how many chains run at once at most."""

    def __init__(self, handler: LaneASGIHandler, pause: float = 0.0):
        self.events: list[tuple[str, int]] = []
        self.running = self.peak = 0
        self.lock = threading.Lock()
        chain = handler._middleware_chain

        def recorded_chain(request):
            with self.lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            self.events.append(("chain", threading.get_ident()))
            try:
                if pause:
                    threading.Event().wait(pause)
                return chain(request)
            finally:
                with self.lock:
                    self.running -= 1

        handler._middleware_chain = recorded_chain

    def started(self, **kwargs):
        self.events.append(("started", threading.get_ident()))

    def finished(self, **kwargs):
        self.events.append(("finished", threading.get_ident()))


@pytest.fixture
def recorded():
    made = []

    def make(threads: int, pause: float = 0.0) -> tuple[LaneASGIHandler, Recorder]:
        handler = LaneASGIHandler(threads=threads)
        recorder = Recorder(handler, pause)
        request_started.connect(recorder.started)
        request_finished.connect(recorder.finished)
        made.append(recorder)
        return handler, recorder

    yield make
    for recorder in made:
        request_started.disconnect(recorder.started)
        request_finished.disconnect(recorder.finished)


async def test_a_request_runs_all_its_sync_work_on_one_lane_thread(recorded):
    handler, recorder = recorded(threads=2)
    status, body = await call(handler)
    assert (status, body) == (200, b'{"status": "live"}')
    kinds = [kind for kind, _ in recorder.events]
    assert kinds == ["started", "chain", "finished"]
    threads = {ident for _, ident in recorder.events}
    assert len(threads) == 1 and threads != {threading.get_ident()}


async def test_concurrent_requests_never_run_on_more_threads_than_lanes(recorded):
    handler, recorder = recorded(threads=2, pause=0.05)
    results = await asyncio.gather(*(call(handler) for _ in range(8)))
    assert [status for status, _ in results] == [200] * 8
    # Eight requests at once, at most two in the chain at a time, on the same two threads.
    assert recorder.peak == 2
    assert len({ident for kind, ident in recorder.events if kind == "chain"}) == 2


async def test_without_the_bound_they_would_all_have_run_at_once(recorded):
    # The test above fails when the handler does not bound: eight lanes, eight at once.
    handler, recorder = recorded(threads=8, pause=0.05)
    await asyncio.gather(*(call(handler) for _ in range(8)))
    assert recorder.peak == 8


async def test_a_streamed_body_is_read_on_the_requests_lane(recorded):
    handler, recorder = recorded(threads=1)
    chunks_on = []

    def chunks():
        for part in (b"one,", b"two"):
            chunks_on.append(threading.get_ident())
            yield part

    handler._middleware_chain = lambda request: StreamingHttpResponse(chunks())
    status, body = await call(handler)
    assert (status, body) == (200, b"one,two")
    finished = [ident for kind, ident in recorder.events if kind == "finished"]
    assert set(chunks_on) == set(finished) and len(finished) == 1


def test_fewer_than_one_thread_is_refused():
    with pytest.raises(ValueError, match="WEB_THREADS"):
        LaneASGIHandler(threads=0)


async def test_a_client_gone_mid_request_gives_its_lane_back_after_its_work(recorded):
    """The view outlives a disconnected client (a thread cannot be stopped): its
    request_finished still runs on its lane, after the view, and the next request is served."""
    handler, recorder = recorded(threads=1, pause=0.2)
    messages = [{"type": "http.request", "body": b"", "more_body": False}, {"type": "http.disconnect"}]

    async def receive():
        message = messages.pop(0)
        if message["type"] == "http.disconnect":
            await asyncio.sleep(0.05)  # while the view runs
        return message

    async def send(message):
        raise AssertionError("nothing is sent to a client that has gone")

    await handler(scope(), receive, send)
    status, _ = await call(handler)
    assert status == 200
    kinds = [kind for kind, _ in recorder.events]
    assert kinds == ["started", "chain", "finished", "started", "chain", "finished"]
    assert len({ident for _, ident in recorder.events}) == 1


async def test_the_probe_records_each_requests_phases_in_order_and_is_off_by_default():
    from apps.core.asgi import request_phases

    request_phases.clear()
    await call(LaneASGIHandler(threads=1))
    assert request_phases == []  # off: nothing kept
    await call(LaneASGIHandler(threads=1, probe=True))
    [row] = request_phases
    request_phases.clear()
    arrived, body_read, lane_taken, view_started, view_ended, view_cpu, done = row
    assert arrived <= body_read <= lane_taken <= view_started <= view_ended <= done
    assert 0 <= view_cpu <= view_ended - view_started + 0.01


async def test_a_request_goes_to_its_lane_once_and_is_finished_before_its_body_is_sent(recorded):
    """request_started, the chain and request_finished in one trip to the lane (Django's
    handler makes three, each a hand-off between the event loop and the thread); for a body
    already made, request_finished (the database connection back to the pool) comes before
    the response goes out."""
    handler, recorder = recorded(threads=1)
    await call(handler)  # makes the lane
    lane = handler._free._queue[0]
    trips = []
    submit = lane.submit

    def counted(fn, /, *args, **kwargs):
        trips.append(fn)
        return submit(fn, *args, **kwargs)

    lane.submit = counted
    recorder.events.clear()
    sent_after = []

    async def receive():
        if not sent_after:
            sent_after.append(None)
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()

    async def send(message):
        sent_after.append([kind for kind, _ in recorder.events])

    await handler(scope(), receive, send)
    assert len(trips) == 1
    assert sent_after[1] == ["started", "chain", "finished"]  # at http.response.start


async def test_the_phase_log_starts_with_the_probe_only(tmp_path, monkeypatch):
    """REQUEST_PHASE_LOG (bench/cat-http --phases) writes nothing unless the probe is on; with
    it on, the process's log starts on the first request and drains the probe's list."""
    from apps.core.asgi import request_phases
    from apps.ops import phaselog

    started = []
    monkeypatch.setattr(phaselog, "start", lambda directory, phases: started.append((directory, phases)))
    await call(LaneASGIHandler(threads=1, phase_log=str(tmp_path)))
    assert started == []
    await call(LaneASGIHandler(threads=1, probe=True, phase_log=str(tmp_path)))
    request_phases.clear()
    assert started == [(str(tmp_path), request_phases)]


async def call_as_uvicorn(handler) -> int:
    """call(), with uvicorn's receive(): "http.disconnect" once the response is sent (Django's
    disconnect listener then ends with RequestAborted, whose traceback holds the handler's
    frame: a cycle the collector has to free)."""
    sent: list[dict] = []
    answered = asyncio.Event()
    asked = False

    async def receive():
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    await handler(scope(), receive, send)
    return sent[0]["status"]


async def test_requests_that_waited_for_their_lane_die_in_young_collections():
    """A request waiting for its lane while the collector runs has its handler's closure cells
    promoted; its response (and through it, for DRF, the view, serializer, rows and request)
    must not hang from them, or every such request survives each young pass and only a middle
    one frees them, all at once (at 100 users, 70,000 objects in 100-400 ms, GIL held)."""
    handler = LaneASGIHandler(threads=1)
    chain = handler._middleware_chain
    responses = []

    def chain_recorded(request):
        response = chain(request)
        responses.append(weakref.ref(response))
        return response

    handler._middleware_chain = chain_recorded
    thresholds = gc.get_threshold()
    gc.collect()
    # Young passes every 300 allocations, while requests wait; never a middle one.
    gc.set_threshold(300, 1_000_000, 1_000_000)
    try:
        waiting = asyncio.Semaphore(20)

        async def one():
            async with waiting:
                return await call_as_uvicorn(handler)

        assert await asyncio.gather(*(one() for _ in range(100))) == [200] * 100
        await asyncio.sleep(0.1)  # the lane's thread lets go of its last work item
        gc.collect(0)
        survivors = sum(1 for response in responses if response() is not None)
    finally:
        gc.set_threshold(*thresholds)
        gc.collect()
    assert survivors <= 2, f"{survivors} of 100 finished responses outlived a young collection"
