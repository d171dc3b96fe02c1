"""The safety layer: applied to every inbound message before anything else, in every state."""

from bot.safety.danger import EMERGENCY_TEXT, detect_danger
from bot.safety.personal_data import PERSONAL_DATA_WARNING, detect_personal_data

__all__ = ["EMERGENCY_TEXT", "PERSONAL_DATA_WARNING", "detect_danger", "detect_personal_data"]
