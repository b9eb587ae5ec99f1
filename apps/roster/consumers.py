"""Live progress of one student import: ws/academy/imports/<id>/.

The group is schema-prefixed and the job is looked up in the socket's own schema, so a
socket on another academy finds no such job (closed 4404) and could not hear this one's
progress anyway."""

from __future__ import annotations

from apps.core.websocket import CloseCode, TenantJsonConsumer, tenant_database_sync_to_async

from . import jobs
from .models import ImportJob


class ImportProgressConsumer(TenantJsonConsumer):
    permission_required = "student:import"

    async def connect(self):
        job_id = self.scope["url_route"]["kwargs"]["job_id"]
        state = await self.state(job_id)
        await self.accept()
        if state is None:
            await self.close(code=CloseCode.NOT_FOUND, reason="no such import")
            return
        await self.join(jobs.group(job_id))
        await self.send_json({"type": "progress", **state})

    @tenant_database_sync_to_async
    def state(self, job_id: int):
        job = ImportJob.objects.filter(pk=job_id).first()
        return jobs.snapshot(job) if job else None

    async def import_progress(self, event):
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "progress"})
