"""Prints the route fuzzing's tally (requests per route and their answers) after the run."""

from __future__ import annotations

import sys


def pytest_terminal_summary(terminalreporter) -> None:
    """The fuzz tally, when the fuzz module ran."""
    module = sys.modules.get("tests.door.test_fuzz_routes")
    lines = module.tally_lines() if module is not None else []
    if lines:
        terminalreporter.section("route fuzzing")
        for line in lines:
            terminalreporter.write_line(line)
