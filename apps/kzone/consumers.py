"""`ws/kzone/`: the signed-in learner's own takes, live.

Joins the learner's group only (`<schema>.kzone.user.<id>`): a take's progress and result
reach the learner who handed it in, never another learner of the zone nor a user with the
same id in another tenant (the REST API's scope: your own takes). On connect it sends the
learner's unfinished takes; then `take` (status, stage, progress, and the result once
finished). `{"type": "cancel", "take": id}` cancels one of the learner's own takes."""

from __future__ import annotations

from apps.core.websocket import TenantJsonConsumer, tenant_database_sync_to_async

from . import events


class TakesConsumer(TenantJsonConsumer):
    permission_required = "tutor:use"

    async def connect(self):
        await self.accept()
        await self.join(events.user_group(self.user.pk))
        await self.send_json({"type": "takes", "takes": await self.open_takes()})

    @tenant_database_sync_to_async
    def open_takes(self) -> list[dict]:
        from .models import Take

        rows = Take.objects.filter(user=self.user).exclude(status__in=Take.FINISHED)
        return [events.snapshot(take) for take in rows[:50]]

    @tenant_database_sync_to_async
    def cancel(self, take_id) -> bool:
        from . import services
        from .models import Take

        take = Take.objects.filter(pk=take_id, user=self.user).first()
        if take is None:
            return False
        services.cancel_take(take, actor=self.user)
        return True

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "cancel":
            take_id = content.get("take")
            ok = isinstance(take_id, int) and not isinstance(take_id, bool) and await self.cancel(take_id)
            await self.send_json({"type": "cancel", "take": take_id, "ok": ok})
        else:
            await self.send_json({"type": "error", "code": "bad_message", "message": "expected cancel"})

    async def kzone_take(self, event):
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "take"})
