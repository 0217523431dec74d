"""The portal for gunicorn: `gunicorn 'hadir_cloud.portal.wsgi:app'` (settings from the environment)."""

from __future__ import annotations

from . import create_app

app = create_app()
