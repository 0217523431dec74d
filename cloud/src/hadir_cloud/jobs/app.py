"""The procrastinate App: one composition root for the queue, its connector and its tasks."""

from __future__ import annotations

from importlib.metadata import version

from procrastinate import App, PsycopgConnector

from .tasks import register

#: The procrastinate version whose schema `0500_jobs.sql` carries (pinned in cloud/pyproject.toml);
#: tests/jobs/test_jobs_schema.py fails when the installed one differs, see docs/jobs.md.
PROCRASTINATE_VERSION = "3.10.0"


def create_app(conninfo: str) -> App:
    """A procrastinate App on this database with every Hadir task registered."""
    app = App(connector=PsycopgConnector(conninfo=conninfo, min_size=1, max_size=4))
    register(app)
    return app


def installed_version() -> str:
    """The installed procrastinate version."""
    return version("procrastinate")
