"""Grafana's PostgreSQL data source, as far as the boards use it: macros and template variables
expanded the way Grafana expands them (pkg/tsdb/grafana-postgresql-datasource/macros.go), so a
panel's SQL can run against the real database. No Grafana server can run here."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

_INTERVALS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seconds(interval: str) -> int:
    interval = interval.strip().strip("'")
    return _INTERVALS[interval[-1]] * int(interval[:-1])


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def expand(sql: str, time_from: datetime, time_to: datetime,
           variables: Mapping[str, Sequence[str]] | None = None) -> str:
    """The SQL Grafana sends for this time range and these variable values (a multi-value
    variable becomes a quoted, comma-separated list, as Grafana formats it for SQL)."""
    f, t = _iso(time_from), _iso(time_to)

    def group(m: re.Match[str], alias: bool) -> str:
        col, interval = m.group(1).strip(), _seconds(m.group(2))
        expr = f"floor(extract(epoch from {col})/{interval})*{interval}"
        return f'{expr} AS "time"' if alias else expr

    sql = re.sub(r"\$__timeGroupAlias\(([^,]+),([^)]+)\)", lambda m: group(m, True), sql)
    sql = re.sub(r"\$__timeGroup\(([^,]+),([^)]+)\)", lambda m: group(m, False), sql)
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)",
                 lambda m: f"{m.group(1).strip()} BETWEEN '{f}' AND '{t}'", sql)
    sql = sql.replace("$__timeFrom()", f"'{f}'").replace("$__timeTo()", f"'{t}'")
    if "$__" in sql:
        raise ValueError(f"unknown Grafana macro in: {sql}")
    for name, values in sorted((variables or {}).items(), key=lambda kv: -len(kv[0])):
        if not values:
            raise ValueError(f"variable ${name} has no value (Grafana would show no data)")
        sql = re.sub(rf"\$\{{{name}\}}|\${name}\b", ",".join(_quote(v) for v in values), sql)
    if re.search(r"\$\{?[A-Za-z_]", sql):
        raise ValueError(f"unexpanded template variable in: {sql}")
    return sql
