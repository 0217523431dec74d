"""Running a board's SQL as Grafana would: its variables first, then each panel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from grafana_macros import expand


def targets(board: dict[str, Any]) -> dict[str, str]:
    """Panel title → its SQL (one target per panel)."""
    out = {}
    for panel in board["panels"]:
        (target,) = panel["targets"]
        out[panel["title"]] = target["rawSql"]
    return out


def variable_values(conn: psycopg.Connection, board: dict[str, Any], t0: datetime,
                    t1: datetime, chosen: dict[str, list[str]] | None = None
                    ) -> dict[str, list[str]]:
    """Every variable as chosen, else at 'All': its query run with the values of the variables
    before it (Grafana's order: the units offered are those of the chosen OPDs)."""
    values: dict[str, list[str]] = {}
    for var in board.get("templating", {}).get("list", []):
        rows = conn.execute(expand(var["query"], t0, t1, values)).fetchall()  # type: ignore[arg-type]
        offered = [str(r[1]) for r in rows]
        picked = (chosen or {}).get(var["name"])
        values[var["name"]] = offered if picked is None else [v for v in picked if v in offered]
    return values


def run_board(conn: psycopg.Connection, board: dict[str, Any], t0: datetime, t1: datetime,
              chosen: dict[str, list[str]] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Panel title → its rows, for this time range and the variables at 'All' (or `chosen`)."""
    values = variable_values(conn, board, t0, t1, chosen)
    return {title: conn.execute(expand(sql, t0, t1, values)).fetchall()  # type: ignore[arg-type]
            for title, sql in targets(board).items()}
