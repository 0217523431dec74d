"""Locust users for `make bench-portal` (run by `bench/bench_portal.py`, not on its own).

`HADIR_BENCH_ACCOUNTS`: a JSON file with the HR and employee accounts, the day and the months
to ask for; `HADIR_BENCH_SAMPLES`: where every request's (name, ms, failed) is written when
locust quits, so the bench computes exact percentiles (locust's own are bucketed).
Each user signs in once through `/masuk` (CSRF token from the form), then loops over its pages;
a user stops after MAX_REQUESTS requests, and the run is bounded by `-t`.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from itertools import count
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.exception import StopUser

CONFIG: dict[str, Any] = json.loads(Path(os.environ["HADIR_BENCH_ACCOUNTS"]).read_text())
SAMPLES: list[dict[str, Any]] = []
#: when every user had been started (the bench leaves out the sign-in storm before it)
SPAWNED: list[float] = []
MAX_REQUESTS = 2_000
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_hr, _emp = count(), count()


@events.request.add_listener
def _record(name: str, response_time: float, exception: BaseException | None,
            **_kw: Any) -> None:
    SAMPLES.append({"name": name, "ms": response_time, "failed": exception is not None,
                    "t": time.time()})


@events.spawning_complete.add_listener
def _spawned(**_kw: Any) -> None:
    SPAWNED.append(time.time())


@events.quitting.add_listener
def _dump(**_kw: Any) -> None:
    Path(os.environ["HADIR_BENCH_SAMPLES"]).write_text(
        json.dumps({"spawned": SPAWNED[0] if SPAWNED else 0.0, "samples": SAMPLES}))


class _Portal(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    accounts: str = ""

    def on_start(self) -> None:
        """Sign in with the next account of the pool."""
        pool = CONFIG[self.accounts]
        n = next(_hr if self.accounts == "hr" else _emp)
        username, password = pool[n % len(pool)]
        page = self.client.get("/masuk", name="/masuk [GET]")
        m = _CSRF.search(page.text)
        if m is None:
            raise StopUser("no csrf_token on /masuk")
        with self.client.post("/masuk", name="/masuk [POST]", allow_redirects=False,
                              data={"csrf_token": m.group(1), "username": username,
                                    "password": password}, catch_response=True) as r:
            if r.status_code != 302:
                r.failure(f"sign-in answered {r.status_code}")
                raise StopUser
        self.sent = 0

    def get(self, path: str, name: str) -> None:
        """A page that must answer 200 (not a redirect to /masuk)."""
        self.sent += 1
        if self.sent > MAX_REQUESTS:
            raise StopUser
        with self.client.get(path, name=name, allow_redirects=False,
                             catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")

    @task(1)
    def healthz(self) -> None:
        """The baseline: the portal and its database answer."""
        self.get("/healthz", "/healthz")


class HrUser(_Portal):
    """An admin_bkpsdm (regency-wide): check-ins of a day, the recap by day and by month."""

    weight = 1
    accounts = "hr"

    @task(3)
    def checkins(self) -> None:
        """Check-ins of the latest working day."""
        self.get(f"/?date={CONFIG['day']}", "/?date=[hari]")

    @task(3)
    def recap_day(self) -> None:
        """The recap of a day, every unit (the page's default)."""
        self.get(f"/rekap?tanggal={CONFIG['day']}", "/rekap?tanggal=[hari]")

    @task(2)
    def recap_month(self) -> None:
        """The recap of a month, every unit."""
        self.get(f"/rekap?bulan={random.choice(CONFIG['months'])}", "/rekap?bulan=[bulan]")


class EmployeeUser(_Portal):
    """An employee looking at their own month, this one or the previous."""

    weight = 4
    accounts = "employees"

    @task(4)
    def my_month(self) -> None:
        """This month."""
        self.get("/bulan-saya", "/bulan-saya")

    @task(2)
    def my_other_month(self) -> None:
        """The previous month."""
        self.get(f"/bulan-saya?bulan={CONFIG['months'][0]}", "/bulan-saya?bulan=[bulan]")
