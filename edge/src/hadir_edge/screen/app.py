"""The kiosk's local web screen (Flask on loopback), shown by Chromium in kiosk mode.

Served by the kiosk service itself, so it works with no network at all. The
page polls `/api/state` and refreshes the preview from `/frame.jpg`; the NIP
fallback posts to `/api/nip` with a per-start token (no other page can post).
"""

from __future__ import annotations

import logging
import secrets
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, abort, jsonify, render_template, request
from werkzeug.serving import make_server

from .. import __version__
from ..decision import TEXT, Status
from ..kiosk import Kiosk
from .live import LiveLoop

logger = logging.getLogger(__name__)


def _local_hhmm(iso: str | None, tz: str) -> str | None:
    if not iso:
        return None
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(tz)).strftime(
        "%d/%m %H:%M")


def create_screen_app(kiosk: Kiosk, loop: LiveLoop, online: threading.Event | None = None,
                      token: str | None = None) -> Flask:
    """The screen's Flask app over a running live loop."""
    app = Flask(__name__)
    app.config["KIOSK_TOKEN"] = token or secrets.token_urlsafe(16)

    def status() -> dict[str, Any]:
        tz = kiosk.runtime.office.tz
        return {
            "device_id": kiosk.settings.device_id, "office": kiosk.runtime.office.name,
            "outbox_depth": kiosk.outbox.depth(),
            "held": kiosk.outbox.held_count(),
            "disk_full": kiosk.outbox.disk_full(),
            "last_sync": _local_hhmm(kiosk.outbox.last_ack(), tz),
            "online": None if online is None else online.is_set(),
            "config_version": kiosk.runtime.version,
            "gallery_version": kiosk.engine.gallery.version,
            "camera": loop.camera_state, "version": __version__,
            "now": kiosk.now().astimezone(ZoneInfo(tz)).strftime("%H:%M:%S"),
        }

    @app.get("/")
    def index() -> str:
        return render_template("kiosk.html", token=app.config["KIOSK_TOKEN"],
                               office=kiosk.runtime.office.name)

    @app.get("/frame.jpg")
    def frame() -> Response:
        data = loop.jpeg()
        if not data:
            abort(503)
        return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})

    @app.get("/api/state")
    def state() -> Response:
        return jsonify({**loop.snapshot(), "kiosk": status()})

    @app.post("/api/nip")
    def nip() -> tuple[Response, int]:
        if request.headers.get("X-Kiosk-Token") != app.config["KIOSK_TOKEN"]:
            return jsonify({"error": "token tidak valid"}), 403
        body = request.get_json(silent=True) or {}
        value = str(body.get("nip", "")).strip()[:64]
        if not value:
            return jsonify({"status": Status.INVALID_NIP.value,
                            "message": TEXT[Status.INVALID_NIP].format(problem="NIP harus diisi")
                            }), 400
        result = loop.submit_nip(value)
        if result is None:
            return jsonify({"status": Status.CHECKING.value,
                            "message": TEXT[Status.CHECKING]}), 202
        return jsonify(result.as_dict()), (200 if result.recorded else 422)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"ok": True, "camera": loop.camera_state})

    return app


class ScreenServer:
    """The screen app on a werkzeug server in a thread."""

    def __init__(self, app: Flask, host: str, port: int):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per poll
        self.server = make_server(host, port, app, threaded=True)
        self.port = self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, name="screen",
                                        daemon=True)

    def start(self) -> ScreenServer:
        """Serve in the background."""
        self._thread.start()
        logger.info("kiosk screen on http://%s:%d/", self.server.host, self.port)
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
