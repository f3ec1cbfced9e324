"""Start moto's server on loopback with DynamoDB's per-item write atomicity restored.

Run as ``python tests/server/moto_dynamodb.py --port N``. DynamoDB applies each write to an item
atomically: a conditional delete (`ConditionExpression`) checks and deletes as one step, so of two
concurrent deletes of one item exactly one succeeds and the other gets
ConditionalCheckFailedException. moto's threaded server checks the condition and then writes with
no lock in between, so two request threads can both pass the check: a concurrency test of the
server's single-use codes would then measure moto, not the server. This launcher serializes
moto's item writes (put, delete, update, batch and transactional writes) behind one lock, which is
what DynamoDB guarantees per item. It corrects the emulator, in the test harness only; the server
relies on DynamoDB's documented behaviour and is not changed by it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.responses import DynamoHandler
from moto.server import main as moto_main

#: DynamoHandler methods that write items.
WRITES = ("put_item", "delete_item", "update_item", "batch_write_item", "transact_write_items")

_lock = threading.Lock()


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: DynamoHandler, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return method(self, *args, **kwargs)

    return call


def serialize_item_writes() -> None:
    """Make each moto DynamoDB write atomic with respect to the others (see the module docstring)."""
    for name in WRITES:
        setattr(DynamoHandler, name, _serialized(getattr(DynamoHandler, name)))


if __name__ == "__main__":
    import sys

    serialize_item_writes()
    port = sys.argv[sys.argv.index("--port") + 1]
    moto_main(["-H", "127.0.0.1", "-p", port])
