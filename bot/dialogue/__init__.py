"""The tracking dialogue: lookups, the phone-tail question, outcome replies, follow-ups.

`bot.engine` routes a message to it; `bot.engine_commands` hands it the commands that track.
It never calls back into either.
"""

from bot.dialogue.pending import FollowUp, Subscribe, TailQuestion
from bot.dialogue.tracking import MAX_NUMBERS, SubscriptionCommands, TrackingDialogue

__all__ = [
    "MAX_NUMBERS",
    "FollowUp",
    "Subscribe",
    "SubscriptionCommands",
    "TailQuestion",
    "TrackingDialogue",
]
