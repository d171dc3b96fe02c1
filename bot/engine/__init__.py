"""The pure conversation engine: (flows, state, input) -> (new state, outbound messages, events).

It imports no channel, storage or HTTP code (a test enforces this).
"""

from bot.engine.outbound import Choice, Outbound, Reference
from bot.engine.state import ConversationState, CorruptState, Frame
from bot.engine.step import Turn, start_flow, step

__all__ = [
    "Choice",
    "ConversationState",
    "CorruptState",
    "Frame",
    "Outbound",
    "Reference",
    "Turn",
    "start_flow",
    "step",
]
