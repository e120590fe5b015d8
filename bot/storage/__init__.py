"""Storage: SQLAlchemy Core tables and stores, on SQLite by default or PostgreSQL by URL."""

from bot.storage.db import Database, open_database

__all__ = ["Database", "open_database"]
