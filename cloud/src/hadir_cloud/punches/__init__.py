"""Punches from legacy fingerprint machines (ZKTeco attlog, CSV/XLSX exports)."""
