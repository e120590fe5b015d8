"""Runtime: durable inbox and outbox, worker threads or processes, leases and rate limits.

Importing the package registers its tables (`bot.runtime.schema`) with the storage layer's
metadata.
"""

from bot.runtime import schema  # noqa: F401 - registers the tables
