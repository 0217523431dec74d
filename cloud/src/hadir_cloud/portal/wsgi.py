"""The portal for gunicorn: `gunicorn 'hadir_cloud.portal.wsgi:app'` (settings from the environment)."""

from __future__ import annotations

from ..settings import CloudSettings
from . import create_app

_settings = CloudSettings()
#: a pool of connections per gunicorn worker (4–5 ms saved on every request)
app = create_app(_settings, DB_POOL_SIZE=_settings.portal_db_pool or 4)
