"""`ws/problems/`: the signed-in student's own submissions, live.

Joins the user's group only (`<schema>.problems.user.<id>`): a submission's events go to
its student, the REST scope of a student (`self`), so a socket never hears another
student's answers or grades. On connect it sends the user's submissions still waiting
for feedback; then `submission` (status, score, and the feedback once stored). The LLM's
text, while it is written, streams on `ws/inference/` (the inference job's own events)."""

from __future__ import annotations

from apps.core.websocket import TenantJsonConsumer, tenant_database_sync_to_async

from . import events


class SubmissionsConsumer(TenantJsonConsumer):
    permission_required = "submission:read"

    async def connect(self):
        await self.accept()
        await self.join(events.user_group(self.user.pk))
        await self.send_json({"type": "pending", "submissions": await self.pending()})

    @tenant_database_sync_to_async
    def pending(self) -> list[dict]:
        from .models import Submission

        rows = Submission.objects.filter(student=self.user, status=Submission.Status.PENDING)
        return [events.snapshot(row) for row in rows[:50]]

    async def receive_json(self, content, **kwargs):
        await self.send_json({"type": "error", "code": "bad_message", "message": "this socket only listens"})

    async def problems_submission(self, event):
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "submission"})
