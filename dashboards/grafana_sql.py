"""The PostgreSQL data source's raw SQL target as a grafana-foundation-sdk data query.

The SDK (pinned in pyproject.toml) has builders for panels, variables and alert rules but
no PostgreSQL query type; `Sql` fills that gap with the JSON Grafana's SQL data sources read
(`rawSql`, `format`, `editorMode: code`), so every panel and alert rule is built by the SDK.
"""

from __future__ import annotations

from typing import Any, Literal

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import dashboard as dm

#: the data source provisioned in provisioning/datasources/hadir.yaml
DATASOURCE_UID = "hadir-db"
DATASOURCE_TYPE = "grafana-postgresql-datasource"
DATASOURCE = dm.DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)

Format = Literal["table", "time_series"]


class SqlQuery(cogvariants.Dataquery):
    """One raw SQL query of the PostgreSQL data source."""

    def __init__(self, sql: str, fmt: Format = "table", ref_id: str = "A") -> None:
        self.sql = sql
        self.fmt = fmt
        self.ref_id = ref_id

    def to_json(self) -> dict[str, Any]:
        """The target as Grafana stores it."""
        return {"refId": self.ref_id, "datasource": DATASOURCE.to_json(), "editorMode": "code",
                "format": self.fmt, "rawQuery": True, "rawSql": self.sql}


class Sql(cogbuilder.Builder[SqlQuery]):
    """Builder of a raw SQL target (a table, or a time series with a `time` column)."""

    def __init__(self, sql: str, fmt: Format = "table", ref_id: str = "A") -> None:
        self._internal = SqlQuery(sql.strip(), fmt, ref_id)

    def build(self) -> SqlQuery:
        """The query."""
        return self._internal


#: the template variables every attendance board has: an OPD, then the units of those OPDs
OPD_FILTER = "opd_id IN ($opd) AND unit_id IN ($unit)"


def steps(*pairs: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    """Absolute thresholds: (from value, colour), the first from None."""
    return dashboard.ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE).steps(
        [dm.Threshold(value=v, color=c) for v, c in pairs])
