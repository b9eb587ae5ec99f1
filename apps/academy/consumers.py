"""The live attendance board: today's sessions and every check-in as it happens.

    ws/academy/attendance/            the whole academy (staff dashboard)
    ws/academy/attendance/<class_id>/ one class (a coach's tablet)

Groups are named by services.attendance.board_group and schema-prefixed by the consumer base, so another academy's
check-ins never arrive here; a coach may open only the classes they teach.
"""

from __future__ import annotations

from apps.accounts.scoping import visible_to
from apps.core.websocket import CloseCode, TenantJsonConsumer, tenant_database_sync_to_async

from .models import Class
from .services import attendance


class AttendanceBoardConsumer(TenantJsonConsumer):
    permission_required = "attendance:read"

    async def connect(self):
        class_id = self.scope["url_route"]["kwargs"].get("class_id")
        classes = await self.visible_classes(class_id)
        if class_id is not None and not classes:
            await self.accept()
            await self.close(code=CloseCode.NOT_FOUND, reason="no such class")
            return
        await self.accept()
        await self.join(attendance.board_group("academy" if class_id is None else f"class.{class_id}"))
        await self.send_json({"type": "board", "sessions": await self.snapshot(class_id)})

    @tenant_database_sync_to_async
    def visible_classes(self, class_id):
        classes = visible_to(Class.objects.all(), self.user, "class:read")
        if class_id is not None:
            classes = classes.filter(pk=class_id)
        return list(classes.values_list("pk", flat=True))

    @tenant_database_sync_to_async
    def snapshot(self, class_id):
        classes = visible_to(Class.objects.all(), self.user, "class:read")
        if class_id is not None:
            classes = classes.filter(pk=class_id)
        return attendance.today_board(classes)

    async def attendance_changed(self, event):
        # The academy-wide group carries every class: a coach sees only their own.
        if self.scope["url_route"]["kwargs"].get("class_id") is None and not await self.may_see(event["class_id"]):
            return
        await self.send_json({key: value for key, value in event.items() if key != "type"} | {"type": "attendance"})

    @tenant_database_sync_to_async
    def may_see(self, class_id) -> bool:
        return visible_to(Class.objects.filter(pk=class_id), self.user, "class:read").exists()
