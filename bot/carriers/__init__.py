"""Carrier registry shipped with the bot (kuaidi100 codes, names, aliases, hotlines)."""

from bot.carriers.registry import (
    Carrier,
    CarrierPage,
    Registry,
    default_registry,
    load_registry,
)

__all__ = ["Carrier", "CarrierPage", "Registry", "default_registry", "load_registry"]
