"""[[queues.consumers]]: this Worker consumes queues, with wrangler's keys (pure).

`queue` is required; `max_batch_size`, `max_batch_timeout` (seconds), `max_retries`,
`dead_letter_queue`, `max_concurrency` and `retry_delay` (seconds) become the consumer's
settings (research notes A2; ranges from Cloudflare's queues configuration docs: batch size
1-100, timeout 0-60 s, retries 0-100, concurrency 1-250, retry delay 0-43200 s).
`type = "worker"` is the only type a deploy attaches; `visibility_timeout_ms` applies to
HTTP pull consumers only, so it is refused here.
"""

from __future__ import annotations

from typing import Any

from cfworker.config.checks import expect_int, expect_one_of, expect_str, expect_tables
from cfworker.config.diagnostics import Diagnostics, key_path
from cfworker.config.model import QueueConsumerSpec

KEYS = ("queue", "type", "max_batch_size", "max_batch_timeout", "max_retries", "dead_letter_queue",
        "max_concurrency", "retry_delay")
_INTS = {"max_batch_size": (1, 100), "max_retries": (0, 100), "max_concurrency": (1, 250), "retry_delay": (0, 43200)}


def check_consumers(d: Diagnostics, path: str, value: Any) -> tuple[QueueConsumerSpec, ...]:
    """The consumer entries that raised no error; a queue consumed twice is an error."""
    out: list[QueueConsumerSpec] = []
    for item_path, table in expect_tables(d, path, value):
        before = len(d.errors)
        if "queue" not in table:
            d.error(key_path(item_path, "queue"), "is required", 'add queue = "my-queue", the queue to consume')
        queue = expect_str(d, key_path(item_path, "queue"), table["queue"]) if "queue" in table else None
        if "type" in table:
            expect_one_of(d, key_path(item_path, "type"), table["type"], ("worker",))
        ints = {}
        for key, (low, high) in _INTS.items():
            if key in table:
                ints[key] = expect_int(d, key_path(item_path, key), table[key], low=low, high=high)
        timeout = None
        if "max_batch_timeout" in table:
            raw = table["max_batch_timeout"]
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not 0 <= raw <= 60:
                d.error(key_path(item_path, "max_batch_timeout"), f"{raw!r} is not a number of seconds from 0 to 60",
                        "write max_batch_timeout = 5 (seconds)")
            else:
                timeout = float(raw)
        dlq = expect_str(d, key_path(item_path, "dead_letter_queue"), table["dead_letter_queue"]) \
            if "dead_letter_queue" in table else None
        if queue is not None and any(c.queue == queue for c in out):
            d.error(key_path(item_path, "queue"), f"queue {queue!r} is consumed twice", "keep one entry per queue")
        if len(d.errors) == before and queue is not None:
            out.append(QueueConsumerSpec(queue, ints.get("max_batch_size"), timeout, ints.get("max_retries"), dlq,
                                         ints.get("max_concurrency"), ints.get("retry_delay")))
    return tuple(out)
