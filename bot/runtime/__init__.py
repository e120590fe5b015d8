"""Runtime: durable inbox and outbox, worker threads or processes, leases and rate limits."""
