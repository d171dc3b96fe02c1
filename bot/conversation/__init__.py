"""The conversation core shared by every channel: safety layer, expiry, erasure, engine, search."""

from bot.conversation.keys import user_key
from bot.conversation.respond import Reply, respond
from bot.conversation.service import ConversationService

__all__ = ["ConversationService", "Reply", "respond", "user_key"]
