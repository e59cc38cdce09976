"""Shared fixtures for the host tests."""
