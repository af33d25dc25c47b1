"""Builders shared by the test packages (what several test modules need the same way)."""
