"""Liveness on real face photos: a replayed still or a held-up photo is refused, a blink passes,
whatever the face's size in the frame (90–220 px: a person far from or close to the kiosk).

No real video is at hand here, so the blink is made from real frames: the same
photo with its eyelids closed over three frames (the eye region blended into
the skin just below it), run through the real dlib landmark backend.
"""

from __future__ import annotations

import numpy as np
import pytest
from hadir_devstack.scenes import blink_frames, portrait, sensor_noise
from hadir_edge.camera.files import letterbox
from hadir_edge.liveness import Challenge, Observation, detect_blink, detect_turn, evaluate
from hadir_edge.liveness.core import choose_challenge, is_still_stream
from hadir_edge.liveness.landmarks import make_backend
from PIL import Image

fr = pytest.importorskip("face_recognition")

PHOTOS = ["obama/obama1.jpg", "kit_harington/kit1.jpg", "rose_leslie/rose1.jpg"]


def frame_640(path) -> np.ndarray:
    """A 640×480 kiosk frame with the photo in it."""
    return letterbox(Image.open(path))


def phone_screen(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A photo held up on a phone: small shifts, brightness changes, noise."""
    dx, dy = rng.integers(-3, 4, 2)
    moved = np.roll(np.roll(frame, dy, axis=0), dx, axis=1).astype(float)
    moved *= rng.uniform(0.92, 1.08)
    return np.clip(moved + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)


def observe(frames):
    backend = make_backend("dlib5")
    out = []
    for f in frames:
        boxes = fr.face_locations(f, 0)
        assert len(boxes) == 1
        out.append(backend.observe(f, boxes[0]))
    return backend.method, out


@pytest.mark.parametrize("photo", PHOTOS)
def test_replayed_still_is_refused(faces_dir, photo):
    frame = frame_640(faces_dir / photo)
    method, obs = observe([frame] * 12)
    result = evaluate(obs, method)
    assert not result.passed
    assert result.reason == "gambar diam (foto atau layar)"


SIZES = [90, 120, 150, 180, 220]


@pytest.mark.parametrize("face_px", SIZES)
@pytest.mark.parametrize("photo", PHOTOS)
def test_photo_held_up_on_a_phone_is_refused(faces_dir, photo, face_px):
    rng = np.random.default_rng(7)
    frame = portrait(faces_dir / photo, face_px)
    method, obs = observe([phone_screen(frame, rng) for _ in range(12)])
    result = evaluate(obs, method)
    assert not result.passed, result


@pytest.mark.parametrize("face_px", SIZES)
@pytest.mark.parametrize("photo", PHOTOS)
def test_a_blink_passes_at_every_face_size(faces_dir, photo, face_px):
    """Regression: the eye patch's measure depended on the face's size, and its position moved
    with the corners the predictor spreads on a shut eye: a blink made from real frames passed
    at 100–130 px and failed at 150 px."""
    method, obs = observe(blink_frames(faces_dir / photo, face_px=face_px))
    result = evaluate(obs, method)
    assert result.passed, result
    assert result.method == "blink-dlib5" and result.score > 0.3


@pytest.mark.parametrize("face_px", [90, 220])
def test_a_still_is_refused_near_and_far(faces_dir, face_px):
    frame = portrait(faces_dir / PHOTOS[0], face_px)
    rng = np.random.default_rng(1)
    method, obs = observe([frame] * 12)
    result = evaluate(obs, method)
    assert not result.passed and result.reason == "gambar diam (foto atau layar)"
    # a printed photo before a real camera: the sensor's noise on every frame, never a blink
    method, obs = observe([sensor_noise(frame, rng) for _ in range(12)])
    assert not evaluate(obs, method).passed


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError):
        make_backend("mediapipe-cloud")


def test_blink_over_plain_openness_values():
    assert detect_blink([0.30, 0.31, 0.30, 0.12, 0.05, 0.29, 0.30])[0]
    # eyes that only close (never reopen) or never close are no blink
    assert not detect_blink([0.30, 0.30, 0.10, 0.05, 0.05])[0]
    assert not detect_blink([0.30, 0.29, 0.31, 0.30, 0.30, 0.29])[0]
    assert not detect_blink([None, 0.3])[0]


def test_turn_challenge_over_yaw_sequences():
    left = [0.0, 1.0, 0.5, 5.0, 12.0, 18.0, 20.0]
    assert detect_turn(left, Challenge.TURN_LEFT)
    assert not detect_turn(left, Challenge.TURN_RIGHT)
    assert detect_turn([0.0, -2.0, -9.0, -15.0], Challenge.TURN_RIGHT)
    moving = [Observation(0.3, y, 3.0) for y in left]
    assert evaluate(moving, "blink-dlib5", Challenge.TURN_LEFT).passed
    assert not evaluate(moving, "blink-dlib5", Challenge.TURN_RIGHT).passed


def test_a_still_stream_cannot_meet_a_turn_challenge():
    obs = [Observation(0.3, y, 0.1) for y in (0.0, 10.0, 20.0, 25.0, 30.0)]
    assert is_still_stream([o.frame_delta for o in obs])
    assert not evaluate(obs, "blink-dlib5", Challenge.TURN_LEFT).passed


def test_too_few_frames_and_random_challenges():
    assert not evaluate([Observation(0.3)] * 2, "m").passed
    seen = {choose_challenge() for _ in range(200)}
    assert seen == set(Challenge)
