"""Tests of the Feishu adapter."""
