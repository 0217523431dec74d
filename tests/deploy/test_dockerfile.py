"""The cloud image carries the face engine (enrolment from photos runs in the job worker) and
Mosquitto's tools (`mosquitto_passwd`: registering a kiosk), at uv.lock's versions. No Docker
engine runs here: the Dockerfile is read, and the face engine it pins is the one the tests use."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _locked() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {p["name"]: p["version"] for p in lock["package"]}


def test_the_broker_tools_are_installed():
    apt = re.search(r"apt-get install -y --no-install-recommends ([^&]+)&&", DOCKERFILE, re.S)
    assert apt and "mosquitto" in apt.group(1).split()  # the package with mosquitto_passwd


def test_the_face_engine_is_installed_at_the_locked_versions():
    pins = dict(re.findall(r"'([a-z0-9-]+)==([^']+)'", DOCKERFILE))
    locked = _locked()
    for name in ("dlib-bin", "face-recognition-models", "setuptools", "numpy", "pillow",
                 "click", "face-recognition"):
        assert pins.get(name) == locked[name], name
    assert int(pins["setuptools"].split(".")[0]) < 82  # face_recognition_models needs pkg_resources
    assert "--no-deps 'face-recognition==" in DOCKERFILE  # not the dlib source distribution
    assert "import face_recognition" in DOCKERFILE  # the build fails if the engine cannot load
