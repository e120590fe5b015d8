"""Subscription tables on the shared metadata."""

from __future__ import annotations
