"""Conversation state storage: the store contract, an in-memory store, and the SQL store."""

from bot.storage.base import DUPLICATE, ConversationStore, StoredConversation
from bot.storage.memory import MemoryStore

__all__ = ["DUPLICATE", "ConversationStore", "MemoryStore", "StoredConversation"]
