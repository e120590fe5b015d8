"""Runtime tables (inbox, outbox) on the shared metadata."""

from __future__ import annotations
