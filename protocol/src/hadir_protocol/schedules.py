"""Which variant of a work schedule a day uses: one rule for the TPP engine and the kiosk.

A schedule has `normal` hours and optional variants for Fridays, Saturdays and Ramadan
(and Ramadan Fridays and Saturdays). The most specific variant the schedule has wins.
"""

from __future__ import annotations

#: every variant a work schedule may carry
VARIANTS = ("normal", "friday", "saturday", "ramadan", "ramadan_friday", "ramadan_saturday")


def variant_order(weekday: int, ramadan: bool) -> list[str]:
    """Variants to try for a day, most specific first (0 = Monday); `normal` is always last."""
    order: list[str] = []
    if ramadan:
        order += ["ramadan_friday"] if weekday == 4 else []
        order += ["ramadan_saturday"] if weekday == 5 else []
        order.append("ramadan")
    order += ["friday"] if weekday == 4 else []
    order += ["saturday"] if weekday == 5 else []
    order.append("normal")
    return order
