"""Hadir kiosk (edge)."""

__version__ = "0.1.0"
