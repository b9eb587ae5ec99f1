from django.db import connection

from .websocket import TenantJsonConsumer, tenant_database_sync_to_async


class PingConsumer(TenantJsonConsumer):
    """`ws/ping/`: proves the websocket wiring on every tenant type.

    Replies to {"type": "ping"} with the schema the database call really ran in, and
    relays {"type": "broadcast", "text": ...} to every ping socket of the same tenant.
    """

    async def connect(self):
        await self.accept()
        await self.join("ping")
        await self.send_json({"type": "hello", "tenant": self.tenant.schema_name, "user": self.user.get_username()})

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong", "schema": await self.database_schema(), "echo": content.get("echo")})
        elif kind == "broadcast":
            await self.channel_layer.group_send(
                self.group("ping"), {"type": "ping.broadcast", "text": str(content.get("text", ""))[:500]}
            )
        else:
            await self.send_json({"type": "error", "code": "bad_message", "message": "expected ping or broadcast"})

    async def ping_broadcast(self, event):
        await self.send_json({"type": "broadcast", "text": event["text"], "tenant": self.tenant.schema_name})

    @tenant_database_sync_to_async
    def database_schema(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            return cursor.fetchone()[0]
