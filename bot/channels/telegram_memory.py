"""What the Telegram channel remembers in memory only, bounded and lost on restart by design.

Keys are pseudonymous (HMAC user keys, or an HMAC of a group's chat id); values are Telegram message ids.
Conversation state lives in the database, never here.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["BoundedMemory", "LiveKeyboards", "NO_LIVE_KEYBOARD"]

K = TypeVar("K")
V = TypeVar("V")

NO_LIVE_KEYBOARD = 0  # Telegram message ids start at 1


class BoundedMemory(Generic[K, V]):
    """A small least-recently-used map: the oldest entry goes when `capacity` is reached."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        if key not in self._items:
            return None
        self._items.move_to_end(key)
        return self._items[key]

    def set(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


class LiveKeyboards:
    """Per user, the one message whose buttons still answer the current question.

    Unknown (never seen, or forgotten after a restart): a press is accepted. A message id: only presses
    on that message are accepted. NO_LIVE_KEYBOARD: every old button is stale.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._memory: BoundedMemory[str, int] = BoundedMemory(capacity)

    def live(self, user_key: str) -> int | None:
        return self._memory.get(user_key)

    def is_stale(self, user_key: str, message_id: int) -> bool:
        live = self._memory.get(user_key)
        return live is not None and live != message_id

    def replace(self, user_key: str, message_id: int) -> None:
        self._memory.set(user_key, message_id)

    def clear(self, user_key: str) -> None:
        self._memory.set(user_key, NO_LIVE_KEYBOARD)

    def forget_all(self) -> None:
        """Know nothing, as after a restart."""
        self._memory = BoundedMemory(self._memory.capacity)
