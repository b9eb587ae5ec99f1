"""The live exam room socket: ws/learning/rooms/<room_id>/

Who may connect is decided once, on connect, with the same scopes as REST: a teacher whose
class the room is (class:read, scope `assigned`; an org_admin's `own_org`; a zone admin)
joins the room's group and its teachers' group; a student enrolled in the room's class
joins the room's group only. Anyone else — another class's student, a parent, a user of
another zone (whose session does not even authenticate here) — is closed with 4404, like
REST's 404.

Students receive the room's state and remaining time ({"type": "state"}), and after
"join" their attempt's id; they answer over REST or the app pages. Teachers receive the
same states, each student's progress ({"type": "progress"}: answered, SE, time left) and
presence ({"type": "presence"}: connected or not), and send
{"action": "start" | "pause" | "resume" | "end"} or {"action": "extend", "seconds": n}.
A reconnecting student gets the current state again and, with "join", the attempt in
progress (resume).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from apps.accounts.permissions import has_permission
from apps.accounts.scoping import visible_to
from apps.core.websocket import CloseCode, TenantJsonConsumer, tenant_database_sync_to_async

from .models import Attempt, Enrollment, Klass, LiveRoom, Student
from .services import rooms

ACTIONS = ("start", "pause", "resume", "end", "extend")


class RoomConsumer(TenantJsonConsumer):
    permission_required = "exam:read"

    async def connect(self):
        self.room_id = self.scope["url_route"]["kwargs"]["room_id"]
        plan = await self.plan()
        await self.accept()
        if plan is None:
            await self.close(code=CloseCode.NOT_FOUND, reason="no such room")
            return
        self.role, self.student_id, snapshot = plan
        await self.join(rooms.room_group(self.room_id))
        if self.role == "teacher":
            await self.join(rooms.teacher_group(self.room_id))
        else:
            await self.channel_layer.group_send(
                self.group(rooms.teacher_group(self.room_id)),
                {"type": "room.presence", "student": self.student_id, "online": True},
            )
        await self.send_json(snapshot)

    @tenant_database_sync_to_async
    def plan(self):
        """("teacher" | "student", student id, first message) or None for a stranger."""
        room = LiveRoom.objects.filter(pk=self.room_id).first()
        if room is None:
            return None
        if has_permission(self.user, "exam:update") and (
            visible_to(Klass.objects.filter(pk=room.klass_id), self.user, "class:read").exists()
        ):
            students = Student.objects.filter(
                enrollments__klass_id=room.klass_id, enrollments__is_active=True
            ).order_by("name")
            progress = {a.student_id: rooms.progress(a) for a in Attempt.objects.filter(room=room)}
            return (
                "teacher",
                None,
                {
                    **rooms.state(room),
                    "type": "state",
                    "students": [
                        {
                            "student": s.pk,
                            "name": s.name,
                            **{k: v for k, v in progress.get(s.pk, {}).items() if k != "type"},
                        }
                        for s in students
                    ],
                },
            )
        student = Student.objects.filter(user=self.user).first()
        if (
            student is None
            or not Enrollment.objects.filter(klass_id=room.klass_id, student=student, is_active=True).exists()
        ):
            return None
        attempt = Attempt.objects.filter(room=room, student=student).order_by("-started_at").first()
        return "student", student.pk, {**rooms.state(room), "type": "state", "attempt": attempt.pk if attempt else None}

    async def receive_json(self, content, **kwargs):
        action = content.get("action") if isinstance(content, dict) else None
        if self.role == "student" and action == "join":
            await self.send_json(await self.student_join())
            return
        if self.role != "teacher" or action not in ACTIONS:
            await self.send_error("bad_action", "unknown action for this socket")
            return
        if not await self.check_permission("exam:update"):
            return
        await self.send_json(await self.teacher_action(action, content.get("seconds")))

    @tenant_database_sync_to_async
    def teacher_action(self, action: str, seconds):
        room = LiveRoom.objects.get(pk=self.room_id)
        try:
            if action == "extend":
                rooms.extend(
                    room, seconds if isinstance(seconds, int) and not isinstance(seconds, bool) else 0, actor=self.user
                )
            else:
                getattr(rooms, action)(room, actor=self.user)
        except ValidationError as exc:
            return {"type": "error", "code": "invalid", "message": " ".join(exc.messages)}
        return {"type": "ok", "action": action}

    @tenant_database_sync_to_async
    def student_join(self):
        room = LiveRoom.objects.get(pk=self.room_id)
        student = Student.objects.get(pk=self.student_id)
        try:
            attempt = rooms.join(room, student, actor=self.user)
        except ValidationError as exc:
            return {"type": "error", "code": "invalid", "message": " ".join(exc.messages)}
        return {**rooms.state(room), "type": "joined", "attempt": attempt.pk if attempt else None}

    async def disconnect(self, code):
        if getattr(self, "role", None) == "student":
            await self.channel_layer.group_send(
                self.group(rooms.teacher_group(self.room_id)),
                {"type": "room.presence", "student": self.student_id, "online": False},
            )

    async def room_state(self, event):
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "state"})

    async def room_progress(self, event):
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "progress"})

    async def room_presence(self, event):
        await self.send_json({**{k: v for k, v in event.items() if k != "type"}, "type": "presence"})
