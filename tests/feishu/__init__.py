"""Tests of the Feishu adapter (issue 7)."""
