"""Waybill detection: find waybill numbers in chat text and name their carriers offline."""

from bot.waybills.extract import Candidate, Waybill, find_waybills
from bot.waybills.normalise import canonical
from bot.waybills.tail import find_phone_tail

__all__ = ["Candidate", "Waybill", "canonical", "find_phone_tail", "find_waybills"]
