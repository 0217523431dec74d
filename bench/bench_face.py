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

The last line is one JSON object: decision_ms_median, naive_ms_median, ratio, rss_mb.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "edge" / "src"))

import face_recognition  # noqa: E402
from hadir_edge.camera.files import letterbox as frame_640  # noqa: E402
from hadir_edge.tracking import FaceTracker, GalleryIndex  # noqa: E402


def load_frames() -> list[tuple[str, np.ndarray]]:
    """Real faces: the shared test photos when present, else package-shipped ones."""
    shared = ROOT.parent / "shared" / "faces"
    paths = [shared / p for p in ("obama/obama1.jpg", "obama/obama2.jpg", "biden/biden1.jpg",
                                  "kit_harington/kit1.jpg", "rose_leslie/rose1.jpg")]
    if all(p.exists() for p in paths):
        # labelled by person: obama1 and obama2 are one person enrolled twice
        return [(p.parent.name, frame_640(Image.open(p))) for p in paths]
    import matplotlib.cbook
    import skimage.data

    hopper = Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return [("astronaut", frame_640(Image.fromarray(skimage.data.astronaut()))),
            ("grace_hopper", frame_640(hopper))]


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
    args = ap.parse_args()

    frames = load_frames()
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
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "decision_ms_median": round(k_med, 1),
        "first_frame_ms_median": round(f_med, 1),
        "naive_ms_median": round(n_med, 1),
        "ratio": round(n_med / k_med, 2),
        "rss_mb": round(rss_mb, 1),
        "gallery": len(gallery),
        "frames": total,
        "agree": agree,
    }))


if __name__ == "__main__":
    main()
