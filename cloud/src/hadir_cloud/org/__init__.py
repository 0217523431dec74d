"""Org: units, positions, who holds them on a day, the atasan chain, import and export."""
