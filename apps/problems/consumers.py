"""`ws/problems/`: live submissions, a student's own and a parent's approved children's.

A socket joins one group per student it may follow (`<schema>.problems.user.<id>`), decided
when it connects by the same scope as REST (apps/problems/scopes.py, `live_student_ids`): a
student their own, a parent their approved children (`own_children`); staff their own
submissions only (they follow their students over REST). A submission's events go to its
student's group, so a socket never hears another family's answers or grades. On connect it
sends the followed students' submissions still waiting for feedback; then `submission`
(status, score, and the feedback once stored). A socket older than SCOPE_MAX_AGE closes
with 4408 at its next event, to rejoin under the current links (a withdrawn link stops
there). The LLM's text, while it is written, streams on `ws/inference/`."""

from __future__ import annotations

import time

from apps.core.websocket import CloseCode, TenantJsonConsumer, tenant_database_sync_to_async

from . import events

SCOPE_MAX_AGE = 3600  # seconds a socket keeps the groups it joined before rejoining


class SubmissionsConsumer(TenantJsonConsumer):
    permission_required = "submission:read"

    async def connect(self):
        students, pending = await self.plan()
        await self.accept()
        self.joined_at = time.monotonic()
        for student_id in students:
            await self.join(events.user_group(student_id))
        await self.send_json({"type": "pending", "submissions": pending})

    @tenant_database_sync_to_async
    def plan(self) -> tuple[list[int], list[dict]]:
        from .models import Submission
        from .scopes import live_student_ids

        students = live_student_ids(self.user)
        rows = Submission.objects.filter(student_id__in=students, status=Submission.Status.PENDING)
        return students, [events.snapshot(row) for row in rows.select_related("problem")[:50]]

    async def receive_json(self, content, **kwargs):
        await self.send_json({"type": "error", "code": "bad_message", "message": "this socket only listens"})

    async def problems_submission(self, event):
        if time.monotonic() - self.joined_at > SCOPE_MAX_AGE:
            await self.close(code=CloseCode.RESCOPE, reason="reconnect: scope refreshed")
            return
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "submission"})
