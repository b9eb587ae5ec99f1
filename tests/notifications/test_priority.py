"""Urgent messages overtake a marketing batch on the Redis broker (priorities 0–9)."""

import time
import uuid

from apps.notifications.models import Message
from apps.notifications.services import CELERY_PRIORITY, template
from apps.notifications.tasks import send_message
from tests.processes import celery, running


def test_urgent_is_sent_before_a_queued_marketing_batch(live_tenant):
    t = live_tenant("academy")
    queue = f"prio-test-{uuid.uuid4().hex[:8]}"
    with t.context():
        receipt = template("receipt")
        made = []
        for n in range(30):
            made.append(
                Message.objects.create(
                    key=f"m{n}",
                    template=receipt,
                    channel="console",
                    priority="marketing",
                    contact_ref=f"c{n}",
                    text="홍보",
                )
            )
        urgent = Message.objects.create(
            key="u", template=receipt, channel="console", priority="urgent", contact_ref="u", text="결석"
        )
        # Everything is queued before any worker listens on this queue.
        for message in [*made, urgent]:
            send_message.apply_async(args=[message.pk], priority=CELERY_PRIORITY[message.priority], queue=queue)
        with running("worker-prio", celery("worker", "-Q", queue, "-c", "1", "-l", "info", "-n", f"{queue}@%h")):
            deadline = time.monotonic() + 60
            while Message.objects.filter(status="sent").count() < 31 and time.monotonic() < deadline:
                time.sleep(0.2)
        order = list(Message.objects.filter(status="sent").order_by("sent_at").values_list("key", flat=True))
        assert len(order) == 31
        assert order.index("u") <= 1, order[:5]
