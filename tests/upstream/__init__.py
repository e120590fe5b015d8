"""Tests of bot.upstream: the paid API client, the demo provider, caching and coalescing."""
