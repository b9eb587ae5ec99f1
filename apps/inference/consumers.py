"""`ws/inference/`: the signed-in user's own AI jobs, live.

Joins the user's group only (`<schema>.inference.user.<id>`), so a socket hears the jobs
its user asked for and nothing else: the REST API's scope (requester = you). On connect it
sends the user's unfinished jobs; then `job` (status, progress, result when finished),
`token` (streamed LLM text) and `restart` (a retry starts the text again).
`{"type": "cancel", "job": id}` cancels one of the user's own jobs."""

from __future__ import annotations

from apps.core.websocket import TenantJsonConsumer, tenant_database_sync_to_async

from . import events


class InferenceJobsConsumer(TenantJsonConsumer):
    async def connect(self):
        await self.accept()
        await self.join(events.user_group(self.user.pk))
        await self.send_json({"type": "jobs", "jobs": await self.open_jobs()})

    @tenant_database_sync_to_async
    def open_jobs(self) -> list[dict]:
        from .jobs.models import InferenceJob

        rows = InferenceJob.objects.filter(requester=self.user).exclude(status__in=InferenceJob.FINISHED)
        return [events.snapshot(job) for job in rows[:50]]

    @tenant_database_sync_to_async
    def cancel(self, job_id) -> bool:
        from . import services
        from .jobs.models import InferenceJob

        job = InferenceJob.objects.filter(pk=job_id, requester=self.user).first()
        if job is None:
            return False
        services.cancel_job(job, actor=self.user)
        return True

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "cancel":
            job_id = content.get("job")
            ok = isinstance(job_id, int) and await self.cancel(job_id)
            await self.send_json({"type": "cancel", "job": job_id, "ok": ok})
        else:
            await self.send_json({"type": "error", "code": "bad_message", "message": "expected cancel"})

    async def inference_job(self, event):
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "job"})

    async def inference_token(self, event):
        await self.send_json({"type": "token", "job": event["job"], "text": event["text"]})

    async def inference_restart(self, event):
        await self.send_json({"type": "restart", "job": event["job"]})
