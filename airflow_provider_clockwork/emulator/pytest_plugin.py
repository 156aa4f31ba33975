"""Pytest fixtures for the Clockwork emulator."""
