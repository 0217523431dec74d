"""Shared seed of the letters tests: the requests' Dinas Kesehatan (staf → Kasi → Kabid,
a Sekretaris, the Kepala) with rule sets, a schedule and accounts, a TU account, and a local
CA with a signing certificate for every head of the Dinas."""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "requests"))
sys.path.insert(0, str(HERE.parent / "portal"))
from request_builders import (  # noqa: E402
    KABID,
    KADIS,
    KASI,
    KASUBBAG,
    SEKRETARIS,
    STAF,
    STAF2,
)

PW = "kata-sandi-rahasia"
WIB = ZoneInfo("Asia/Jakarta")
HEADS = {KADIS: "dr. Kepala Dinas", SEKRETARIS: "Sekretaris Dinas", KABID: "Kepala Bidang",
         KASI: "Kepala Seksi", KASUBBAG: "Kasubbag Umum"}
__all__ = ["KABID", "KADIS", "KASI", "KASUBBAG", "SEKRETARIS", "STAF", "STAF2", "seed",
           "make_ca", "now", "last_week"]


def now() -> datetime:
    """The local time in WIB."""
    return datetime.now(WIB)


def last_week(offset: int = 0) -> date:
    """Monday of the week before this one, plus `offset` days."""
    t = now().date()
    return t - timedelta(days=t.weekday() + 7) + timedelta(days=offset)


def seed(url: str) -> None:
    """The Dinas Kesehatan of the request tests with everything the TPP run needs, accounts
    for the employees and heads, a TU account (`tu`) and a letterhead."""
    from hadir_cloud.users import activate, add_user, grant, invite
    from test_request_pages import seed_portal

    seed_portal(url)
    with psycopg.connect(url, autocommit=True) as conn:
        for nip in (KADIS, SEKRETARIS, KASUBBAG):
            activate(conn, nip, invite(conn, nip), PW)
        add_user(conn, "tu", PW, "staf")
        grant(conn, "tu", "tu", "DINKES", "tes")
        conn.execute("INSERT INTO unit_letterheads (unit_id, address, phone, email, place) "
                     "VALUES ('DINKES', 'Jl. Lintas Timur KM 35, Indralaya', '0711-581234', "
                     "'dinkes@oganilirkab.go.id', 'Indralaya')")


def make_ca(folder: Path) -> Path:
    """A local CA with a certificate for every head of the Dinas."""
    from hadir_cloud.letters import ca

    ca.init(folder, "Kabupaten Ogan Ilir")
    for nip, name in HEADS.items():
        ca.issue(folder, nip, name, "Dinas Kesehatan")
    return folder
