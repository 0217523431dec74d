"""`make bench-face`: the kiosk's decision time per 640×480 frame against naive face_recognition.

Both paths run in this process on the same frames: real face photos (from
../shared/faces, else the faces shipped in scikit-image and matplotlib) placed
in 640×480 frames, matched against a 10,000-person gallery (the real enrolled
encodings among random unit-norm 128-d vectors).

- kiosk path (hadir_edge.tracking.FaceTracker): HOG detection without
  upsampling on every frame (the face guide asks for at least 80 px), the face
  followed from frame to frame and encoded once per track (and every 15
  frames), the liveness observation on every frame, one matrix product over
  the gallery. Each photo is a walk-up of --frames frames with camera noise.
- naive path: `face_locations(frame, 1)` on the full frame, `face_encodings`,
  `compare_faces` over a Python list of 10,000 encodings.

Feedback (the person's wait): the real kiosk — live loop, session, liveness window, the one
decision, signing and the SQLite outbox — on walk-ups of each person who blinks (frames
made from the real photos by `hadir_devstack.scenes`, delivered at most at --fps like a
camera), timed from the first frame in which the face appears to the screen's state saying
"tercatat" (the page polls that state every 250 ms).

The last line is one JSON object: decision_ms_median, first_frame_ms_median (the frame that
encodes), naive_ms_median, ratio, feedback_ms_median, feedback_ms_p90, rss_mb.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "edge" / "src"))

from hadir_edge.camera.files import letterbox as frame_640  # noqa: E402
from hadir_edge.engine import face_recognition as _engine  # noqa: E402
from hadir_edge.tracking import FaceTracker, GalleryIndex  # noqa: E402

face_recognition = _engine()


def load_photos() -> list[tuple[str, Path]]:
    """Real faces: the shared test photos when present, else package-shipped ones."""
    shared = ROOT.parent / "shared" / "faces"
    paths = [shared / p for p in ("obama/obama1.jpg", "obama/obama2.jpg", "biden/biden1.jpg",
                                  "kit_harington/kit1.jpg", "rose_leslie/rose1.jpg")]
    if all(p.exists() for p in paths):
        # labelled by person: obama1 and obama2 are one person enrolled twice
        return [(p.parent.name, p) for p in paths]
    import matplotlib.cbook
    import skimage.data

    folder = Path(tempfile.mkdtemp(prefix="hadir-bench-faces-"))
    Image.fromarray(skimage.data.astronaut()).save(folder / "astronaut.png")
    return [("astronaut", folder / "astronaut.png"),
            ("grace_hopper", Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg",
                                                                   asfileobj=False)))]


class WalkUp:
    """A camera before which one person walks up: empty frames, then the person, who blinks,
    delivered no faster than `fps` (a camera's rate); `appeared` is when the face came."""

    def __init__(self, empty: np.ndarray, person: list[np.ndarray], fps: float, lead: int = 3):
        self.frames = [empty] * lead + person * 4
        self.interval = 1.0 / fps
        self.lead = lead
        self.i = 0
        self.due = 0.0
        self.appeared: float | None = None

    def capture(self) -> np.ndarray:
        wait = self.due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        self.due = max(self.due, time.perf_counter() - self.interval) + self.interval
        frame = self.frames[min(self.i, len(self.frames) - 1)]
        if self.i == self.lead:
            self.appeared = time.perf_counter()
        self.i += 1
        return frame

    def close(self) -> None:
        """Nothing to release."""


def feedback(people: list[tuple[str, Path]], gallery: np.ndarray, labels: list[str],
             rounds: int, fps: float) -> list[float]:
    """Milliseconds from a face's first frame to "tercatat" in the screen's state, per walk-up,
    through the real live loop of a kiosk (its data in a temporary directory)."""
    from hadir_devstack.scenes import blink_frames
    from hadir_edge.bootstrap import make_kiosk
    from hadir_edge.config import EdgeSettings
    from hadir_edge.screen.live import LiveLoop
    from hadir_edge.tracking import GalleryIndex
    from hadir_protocol.models import Office

    office = Office(id="bench", name="Bench", tz="Asia/Jakarta", lat=-3.2, lon=104.6,
                    radius_m=50)
    data = Path(tempfile.mkdtemp(prefix="hadir-bench-face-"))
    settings = EdgeSettings(device_id="kiosk-bench-01", data_dir=data, office=office,
                            repeat_window_s=0, camera={"type": "files", "paths": [str(data)]},
                            gps={"type": "fixed", "lat": office.lat, "lon": office.lon})
    kiosk = make_kiosk(settings)
    g = kiosk.engine.gallery  # the bench's 10,000 people, in memory only
    # (employee ids on the wire allow letters, digits, '.' and '-')
    g.encodings, g.labels = gallery.astype(np.float32), [x.replace("_", "-") for x in labels]
    g.index = GalleryIndex(g.encodings, g.labels)
    g.generation += 1
    empty = np.full((480, 640, 3), 90, np.uint8)
    scenes = [(name, blink_frames(path)) for name, path in people]
    loop = LiveLoop(kiosk, settings.liveness, hold_s=0.0)
    out: list[float] = []
    for _ in range(rounds):
        for name, frames in scenes:
            camera = WalkUp(empty, frames, fps)
            kiosk.camera = camera
            loop.session.reset()
            for _frame in range(len(camera.frames)):
                step = loop.step()
                if step.result.recorded:
                    assert camera.appeared is not None
                    out.append((time.perf_counter() - camera.appeared) * 1000)
                    assert loop.snapshot()["status"] == "recorded", loop.snapshot()
                    break
            else:
                raise SystemExit(f"{name}: no check-in ({step.result.message})")
    kiosk.close()
    return out


def naive_decide(frame: np.ndarray, gallery_list: list[np.ndarray]) -> int:
    """The naive use of face_recognition."""
    boxes = face_recognition.face_locations(frame, 1)
    encs = face_recognition.face_encodings(frame, boxes)
    if len(encs) != 1:
        return -1
    matches = face_recognition.compare_faces(gallery_list, encs[0], tolerance=0.5)
    return matches.index(True) if True in matches else -1


def main() -> None:
    """Run both paths over the frames and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gallery", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--frames", type=int, default=10, help="frames per walk-up")
    ap.add_argument("--fps", type=float, default=15.0,
                    help="the camera's rate in the feedback walk-ups (files camera default)")
    args = ap.parse_args()

    photos = load_photos()
    frames = [(name, frame_640(Image.open(path))) for name, path in photos]
    rng = np.random.default_rng(42)
    synth = rng.normal(0, 1, (args.gallery, 128))
    synth /= np.linalg.norm(synth, axis=1, keepdims=True) / 1.2
    real = [face_recognition.face_encodings(f)[0] for _, f in frames]
    gallery = np.vstack([synth[: args.gallery - len(real)], np.array(real)])
    gallery_list = list(gallery)
    labels = [f"synthetic-{i}" for i in range(len(gallery) - len(real))] + [n for n, _ in frames]
    tracker = FaceTracker(GalleryIndex(gallery, labels))

    # A walk-up: each person stands for `--frames` frames (camera noise on each).
    kiosk_ms: list[float] = []
    first_ms: list[float] = []
    naive_ms: list[float] = []
    agree = total = 0
    for _ in range(args.rounds):
        for _name, still in frames:
            tracker.reset()
            for k in range(args.frames):
                frame = np.clip(still.astype(np.int16) + rng.integers(-3, 4, still.shape),
                                0, 255).astype(np.uint8)
                t0 = time.perf_counter()
                res = tracker.process(frame)
                t1 = time.perf_counter()
                j = naive_decide(frame, gallery_list)
                t2 = time.perf_counter()
                (first_ms if k == 0 else kiosk_ms).append((t1 - t0) * 1000)
                naive_ms.append((t2 - t1) * 1000)
                naive_id = labels[j] if j >= 0 else None
                agree += int(res.employee_id == naive_id)
                total += 1
    per_frame = first_ms + kiosk_ms
    k_med, n_med = statistics.median(per_frame), statistics.median(naive_ms)
    f_med = statistics.median(first_ms)
    print(f"frames={total} gallery={len(gallery)} same identity in both paths: {agree}/{total}")
    print(f"kiosk  median {k_med:.1f} ms per frame; first frame of a track (encode) "
          f"median {f_med:.1f} ms")
    print(f"naive  median {n_med:.1f} ms  p90 {np.percentile(naive_ms, 90):.1f} ms")
    # one walk-up per distinct person (obama2 is obama again)
    people = list({name: path for name, path in photos}.items())
    waits = feedback(people, gallery, labels, args.rounds, args.fps)
    fb_med, fb_p90 = statistics.median(waits), float(np.percentile(waits, 90))
    print(f"feedback (face appears → 'tercatat', blink and commit included, camera at "
          f"{args.fps:g} fps) median {fb_med:.0f} ms  p90 {fb_p90:.0f} ms over {len(waits)} "
          "walk-ups")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "decision_ms_median": round(k_med, 1),
        "first_frame_ms_median": round(f_med, 1),
        "naive_ms_median": round(n_med, 1),
        "ratio": round(n_med / k_med, 2),
        "feedback_ms_median": round(fb_med, 1),
        "feedback_ms_p90": round(fb_p90, 1),
        "fps": args.fps,
        "rss_mb": round(rss_mb, 1),
        "gallery": len(gallery),
        "frames": total,
        "agree": agree,
    }))


if __name__ == "__main__":
    main()
