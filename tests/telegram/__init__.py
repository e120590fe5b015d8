"""Tests of the Telegram adapter (adapters/telegram) against a fake Bot API."""
