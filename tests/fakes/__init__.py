"""Reusable fakes of external services (real servers on 127.0.0.1, not mocks)."""
