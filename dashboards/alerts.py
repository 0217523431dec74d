"""Grafana alert rules (kiosk offline 30 minutes, a spike of refused messages, ingest lag) and
the e-mail contact point of IT staff, built with the SDK and written as Grafana's alerting
provisioning file (provisioning/alerting/hadir.yaml).

Each rule: A, the SQL (one row per alert instance; text columns become its labels); B, the
last value of each; C, the threshold. The address comes from HADIR_ALERT_EMAIL in Grafana's
environment (docker-compose.yml); Grafana sends through its own SMTP settings (GF_SMTP_*).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import alerting, expr
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import alerting as am
from grafana_sql import DATASOURCE_UID, Sql

FOLDER = "Hadir — TI"
CONTACT = "TI Diskominfo"


@dataclass(frozen=True)
class AlertRule:
    """One rule: its SQL (A) and the value above which it fires."""

    uid: str
    title: str
    sql: str
    above: float
    summary: str
    window_s: int = 600


RULES: tuple[AlertRule, ...] = (
    AlertRule(
        "hadir-kiosk-luring", "Kiosk luring 30 menit",
        """
SELECT device_id, office_name, offline_minutes
  FROM fleet_status
 WHERE health = 'luring'""",
        29,
        "Kiosk {{ $labels.device_id }} ({{ $labels.office_name }}) luring sejak "
        "{{ $values.B }} menit: periksa listrik dan jaringan kantor."),
    AlertRule(
        "hadir-lonjakan-ditolak", "Lonjakan pesan ditolak",
        """
SELECT coalesce(sum(seen_count), 0) AS ditolak
  FROM ingest_rejections
 WHERE last_seen_at > now() - INTERVAL '10 minutes'""",
        100,
        "{{ $values.B }} pesan ditolak dalam 10 menit terakhir: lihat papan Ingest, "
        "'Alasan penolakan'."),
    AlertRule(
        "hadir-jeda-ingest", "Jeda ingest tinggi",
        # per kiosk the freshest check-in's lag (a kiosk draining a week of backlog still sends
        # its newest events at once); the median over kiosks must stay under two minutes
        """
SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY freshest), 0) AS jeda_s
  FROM (SELECT min(lag_s) AS freshest
          FROM ingest_events
         WHERE received_at > now() - INTERVAL '10 minutes'
         GROUP BY device_id) k""",
        120,
        "Jeda median check-in terbaru tiap kiosk {{ $values.B }} detik: periksa layanan "
        "ingest, broker dan basis data."),
)


def _rule(r: AlertRule) -> alerting.Rule:
    return (
        alerting.Rule(r.title).uid(r.uid).condition("C").for_val("0s")
        .no_data_state("OK").exec_err_state("Error")
        .annotations({"summary": r.summary})
        .labels({"tim": "ti", "layanan": "hadir"})
        .with_query(alerting.Query("A").datasource_uid(DATASOURCE_UID)
                    .relative_time_range(am.RelativeTimeRange(from_val=r.window_s, to=0))
                    .model(Sql(r.sql)))
        .with_query(alerting.Query("B").datasource_uid("__expr__")
                    .model(expr.TypeReduce().ref_id("B").expression("A").reducer("last")))
        .with_query(alerting.Query("C").datasource_uid("__expr__")
                    .model(expr.TypeThreshold().ref_id("C").expression("B").conditions([
                        expr.ExprTypeThresholdConditions().evaluator(
                            expr.ExprTypeThresholdConditionsEvaluator().type("gt")
                            .params([r.above]))]))))


def _plain(obj: Any) -> Any:
    return json.loads(json.dumps(obj, cls=JSONEncoder))


#: what the HTTP API model has and a provisioning file must not (the group names the folder)
_API_ONLY = ("folderUID", "orgID", "ruleGroup", "id", "provenance", "updated")


def provisioning() -> dict[str, Any]:
    """Grafana's alerting provisioning document: the rule group, contact point and policy."""
    rules = []
    for r in RULES:
        rule = _plain(_rule(r).build())
        for key in _API_ONLY:
            rule.pop(key, None)
        rules.append(rule)
    contact = _plain(alerting.ContactPoint().uid("hadir-email-ti").name(CONTACT).type("email")
                     .settings({"addresses": "$HADIR_ALERT_EMAIL", "singleEmail": True})
                     .build())
    policy = _plain(alerting.NotificationPolicy().receiver(CONTACT)
                    .group_by(["alertname", "device_id"]).group_wait("30s")
                    .group_interval("5m").repeat_interval("4h").build())
    return {
        "apiVersion": 1,
        "groups": [{"orgId": 1, "name": "hadir", "folder": FOLDER, "interval": "1m",
                    "rules": rules}],
        "contactPoints": [{"orgId": 1, "name": CONTACT,
                           "receivers": [{k: contact[k] for k in ("uid", "type", "settings")}]}],
        "policies": [{"orgId": 1, **policy}],
    }
