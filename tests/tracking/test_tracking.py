"""Per-frame tracking on real photos: encode once per track, never guess with several faces."""

from __future__ import annotations

import numpy as np
import pytest
from hadir_edge.camera.files import letterbox
from hadir_edge.tracking import FaceTracker, GalleryIndex, iou
from PIL import Image

fr = pytest.importorskip("face_recognition")


def frame_640(path) -> np.ndarray:
    """A 640×480 kiosk frame with the photo in it."""
    return letterbox(Image.open(path))


def test_gallery_index_matches_brute_force():
    rng = np.random.default_rng(1)
    enc = rng.normal(0, 0.1, (500, 128))
    index = GalleryIndex(enc, [str(i) for i in range(500)])
    probe = enc[123] + rng.normal(0, 0.01, 128)
    label, dist = index.nearest(probe)
    brute = np.linalg.norm(enc - probe, axis=1)
    assert label == str(int(np.argmin(brute)))
    assert dist == pytest.approx(float(brute.min()), rel=1e-4)
    assert GalleryIndex(np.zeros((0, 128)), []).nearest(probe) == (None, float("inf"))
    with pytest.raises(ValueError):
        GalleryIndex(enc, ["only one"])


def test_iou():
    assert iou((0, 10, 10, 0), (0, 10, 10, 0)) == 1.0
    assert iou((0, 10, 10, 0), (20, 30, 30, 20)) == 0.0
    assert 0.3 < iou((0, 10, 10, 0), (0, 12, 10, 2)) < 0.9


def test_tracker_encodes_once_per_track_and_switches_people(faces_dir):
    obama1 = frame_640(faces_dir / "obama/obama1.jpg")
    enc = fr.face_encodings(obama1)[0]
    tracker = FaceTracker(GalleryIndex(np.array([enc]), ["198503122010012003"]))
    rng = np.random.default_rng(0)
    obama2 = frame_640(faces_dir / "obama/obama2.jpg")
    results = []
    for _ in range(4):
        noisy = np.clip(obama2.astype(int) + rng.integers(-3, 4, obama2.shape), 0, 255)
        results.append(tracker.process(noisy.astype(np.uint8)))
    assert [r.encoded for r in results] == [True, False, False, False]
    assert all(r.employee_id == "198503122010012003" for r in results)
    assert all(r.observation is not None for r in results)
    biden = tracker.process(frame_640(faces_dir / "biden/biden1.jpg"))
    assert biden.encoded and biden.employee_id is None and biden.distance > 0.5
    group = tracker.process(frame_640(faces_dir / "groups/two_people.jpg"))
    assert group.faces == 2 and group.employee_id is None
