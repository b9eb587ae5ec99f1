"""The live attendance board: today's sessions and every check-in as it happens.

    ws/academy/attendance/            everything the user may see (staff dashboard, a
                                      parent's app)
    ws/academy/attendance/<class_id>/ one class (a coach's tablet)

A socket hears exactly the attendance its user reads over REST (/api/v1/attendance/).
That is decided once, when it joins groups, from the same registered scopes
(apps.academy.scopes): owner, manager and front desk join the academy's group (or the
class's); a coach joins the groups of the classes they teach; a guardian joins one group
per approved child, a student their own. No event is checked against the database
afterwards. Groups are named by services.attendance.board_group and schema-prefixed by
the consumer base, so another academy's check-ins never arrive here. A class the user cannot read is a 4404, like
REST's 404. Scope changes (a link approved or revoked, a class handed to another coach)
apply from the next connect; apps reconnect on every app start and at least hourly
(SCOPE_MAX_AGE closes older sockets with 4408 so that they rejoin under today's scope).
"""

from __future__ import annotations

import time
from collections import deque

from apps.accounts.scoping import scoped_groups, visible_to
from apps.core.websocket import CloseCode, TenantJsonConsumer, tenant_database_sync_to_async

from .models import Attendance, Class, InvoiceRun
from .services import attendance, billing

SCOPE_MAX_AGE = 3600  # seconds a socket keeps the groups it joined before rejoining


class AttendanceBoardConsumer(TenantJsonConsumer):
    permission_required = "attendance:read"

    async def connect(self):
        class_id = self.scope["url_route"]["kwargs"].get("class_id")
        plan = await self.plan(class_id)
        await self.accept()
        if plan is None:
            await self.close(code=CloseCode.NOT_FOUND, reason="no such class")
            return
        groups, snapshot = plan
        self.class_id = class_id
        self.joined_at = time.monotonic()
        self.recent: deque[str] = deque(maxlen=64)
        for name in groups:
            await self.join(attendance.board_group(name))
        await self.send_json({"type": "board", "sessions": snapshot})

    @tenant_database_sync_to_async
    def plan(self, class_id):
        """(groups to join, first picture), or None for a class the user cannot read."""
        classes = visible_to(Class.objects.all(), self.user, "class:read")
        if class_id is not None:
            classes = classes.filter(pk=class_id)
            if not classes.exists():
                return None
        groups = scoped_groups(Attendance, self.user, "attendance:read")
        if groups is None:  # every row: the academy's group, or the whole class
            return (["academy"] if class_id is None else [f"class.{class_id}"]), attendance.today_board(classes)
        if class_id is not None:
            groups = [g for g in groups if g == f"class.{class_id}" or g.startswith("student.")]
        whole = {int(g.split(".")[1]) for g in groups if g.startswith("class.")}
        students = {int(g.split(".")[1]) for g in groups if g.startswith("student.")}
        return groups, attendance.today_board(classes, whole=whole, students=students)

    async def attendance_changed(self, event):
        if time.monotonic() - self.joined_at > SCOPE_MAX_AGE:
            await self.close(code=CloseCode.RESCOPE, reason="reconnect: scope refreshed")
            return
        # A guardian's per-child groups carry all of the child's classes; a class route
        # shows that class only. A socket in two groups (a coach whose own child is in
        # their class) gets the event twice: show it once.
        if self.class_id is not None and event["class_id"] != self.class_id:
            return
        if event["event"] in self.recent:
            return
        self.recent.append(event["event"])
        await self.send_json({key: value for key, value in event.items() if key != "type"} | {"type": "attendance"})


class InvoiceRunConsumer(TenantJsonConsumer):
    """ws/academy/invoicing/<run_id>/: progress of one "issue this month's invoices" run,
    for those who may start one (invoice:create: owner, manager, front desk). It carries
    counts only, no family's data."""

    permission_required = "invoice:create"

    async def connect(self):
        run_id = self.scope["url_route"]["kwargs"]["run_id"]
        state = await self.state(run_id)
        await self.accept()
        if state is None:
            await self.close(code=CloseCode.NOT_FOUND, reason="no such invoicing run")
            return
        await self.join(billing.RUN_GROUP.format(run=run_id))
        await self.send_json({"type": "progress", **state})

    @tenant_database_sync_to_async
    def state(self, run_id: int):
        run = InvoiceRun.objects.filter(pk=run_id).first()
        return billing.run_snapshot(run) if run else None

    async def invoicing_progress(self, event):
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "progress"})
