"""The servers' phase log that bench/cat-http --phases reads (apps/ops/phaselog.py). Run in a
child process: the log starts once per process and keeps a thread and a collector callback."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_child(directory: Path) -> dict:
    script = textwrap.dedent(
        f"""
        import asyncio, gc, json, time
        from apps.ops import phaselog

        phases = []

        async def serve():
            phaselog.start({str(directory)!r}, phases)
            phaselog.start({str(directory)!r}, phases)  # a second request: still one log
            phases.append((1.0, 1.1, 1.2, 1.3, 1.5, 0.1, 1.6))
            gc.collect()
            await asyncio.sleep(0.03)  # the loop's watch is asleep, due back in 10 ms
            time.sleep(0.05)  # the loop blocked: its next tick is late
            await asyncio.sleep(1.3)  # the log is written once a second

        asyncio.run(serve())
        print(json.dumps(phaselog.read({str(directory)!r})))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout)


def test_the_log_holds_the_requests_the_collector_and_the_late_loop(tmp_path):
    logged = run_child(tmp_path)

    assert logged["req"] == [[1.0, 1.1, 1.2, 1.3, 1.5, 0.1, 1.6]]
    assert any(row[2] == 2 for row in logged["gc"]), "the full collection is logged with its generation"
    assert all(row[1] >= 0 for row in logged["gc"])
    assert max(ms for _due, ms in logged["lag"]) >= 30, "the 50 ms block shows as the loop running late"
    assert len(list(tmp_path.glob("*.csv"))) == 1


def test_a_run_reads_every_process_file_and_skips_what_it_does_not_know(tmp_path):
    (tmp_path / "1.csv").write_text("req,1,2,3,4,5,0.5,6\ngc,1.5,2.0,0\n")
    (tmp_path / "2.csv").write_text("lag,3.0,4.5\nother,1\n\n")

    from apps.ops import phaselog

    logged = phaselog.read(tmp_path)
    assert logged == {"req": [(1, 2, 3, 4, 5, 0.5, 6)], "gc": [(1.5, 2.0, 0)], "lag": [(3.0, 4.5)]}
