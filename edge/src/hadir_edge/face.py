"""The face engine (dlib through face_recognition) and the kiosk's local gallery.

Every verdict carries distance and threshold. A frame with no face or with two
or more faces is never matched, and a face farther than the threshold from
everyone is 'unknown': nobody is guessed into someone else's check-in.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hadir_protocol import gallery_key
from hadir_protocol.codec import unpack_encoding
from hadir_protocol.files import write_durably
from hadir_protocol.models import GalleryDelta
from numpy.typing import NDArray

from .tracking import GalleryIndex

if TYPE_CHECKING:
    from .config import EdgeSettings

logger = logging.getLogger(__name__)

MODEL = "dlib_face_recognition_resnet_model_v1"


class FaceStatus(StrEnum):
    """What the engine saw."""

    MATCHED = "matched"
    UNKNOWN = "unknown"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"


@dataclass(frozen=True)
class Verdict:
    """The engine's answer for one frame."""

    status: FaceStatus
    employee_id: str | None
    distance: float | None
    threshold: float
    faces: int
    box: tuple[int, int, int, int] | None = None
    model: str = MODEL


class GalleryError(RuntimeError):
    """The gallery file cannot be read with this key (wrong key, or a damaged file)."""


class GalleryVersionError(ValueError):
    """A delta that does not start from the version this kiosk holds."""


class GalleryLocked(GalleryVersionError):
    """The gallery's key has not come from the cloud yet (`face.gallery_key = "cloud"`)."""


MAGIC = b"HGAL1"
AAD = b"hadir-gallery/1"


def load_or_create_gallery_key(path: Path) -> bytes:
    """The kiosk's 256-bit gallery key: read it, or make it (mode 0600) on first boot."""
    if path.exists():
        key = bytes.fromhex(path.read_text().strip())
        if len(key) != 32:
            raise GalleryError(f"{path}: a gallery key is 64 hex characters")
        return key
    key = AESGCM.generate_key(bit_length=256)
    write_durably(path, key.hex() + "\n", 0o600)
    return key


class Gallery:
    """Enrolled people (encodings, names) and the version applied; encrypted at rest.

    One file, `<path>.enc`: AES-256-GCM over an npz of the encoding matrix and a
    JSON header (version, labels, names). Written atomically with fsync: a kiosk
    may lose power at any moment. The key comes from the `gallery-key`
    credential (sealed by the TPM with `LoadCredentialEncrypted=` where the board has
    one), or, with `key=None`, from the cloud at boot: the gallery stays locked (empty,
    its version unknown) until `unlock` gets the key, which is kept in memory only.
    """

    def __init__(self, path: Path, key: bytes | None):
        self.path = path.with_suffix(".enc")
        self._aead: AESGCM | None = None
        self.labels: list[str] = []
        self.names: dict[str, str] = {}
        self.version = 0
        self.encodings = np.zeros((0, 128), dtype=np.float32)
        self.generation = 0  # bumped on every change; the live loop rebuilds its tracker
        self._request: tuple[X25519PrivateKey, str] | None = None
        if key is None:
            self._request = gallery_key.new_request()
        else:
            self._aead = AESGCM(key)
            if self.path.exists():
                self._load()
        self.index = GalleryIndex(self.encodings, self.labels)

    @property
    def locked(self) -> bool:
        """Waiting for its key from the cloud."""
        return self._aead is None

    def key_request(self) -> str | None:
        """While locked: the one-time public key the heartbeat sends to ask for the key."""
        return self._request[1] if self._request else None

    def unlock(self, args: dict[str, object], device_id: str) -> None:
        """Open the gallery with the key the cloud sealed to this boot's request (the
        `gallery-key` command's args). A file this key cannot read is kept aside and the
        gallery starts empty at version 0 (the cloud then sends a full snapshot).

        GalleryError when nothing was asked or the answer does not open with this boot's key.
        """
        if self._request is None:
            raise GalleryError("kunci galeri tidak diminta (galeri sudah terbuka)")
        try:
            key = gallery_key.open_(self._request[0], args, device_id)
        except gallery_key.GalleryKeyError as err:
            raise GalleryError(f"kunci galeri dari cloud tidak dapat dibuka: {err}") from err
        self._aead = AESGCM(key)
        self._request = None
        if self.path.exists():
            try:
                self._load()
            except GalleryError as err:
                bad = self.path.with_name(f"{self.path.name}.bad-{int(time.time())}")
                self.path.replace(bad)
                logger.error("%s; kept as %s, starting with an empty gallery", err, bad.name)
        self.index = GalleryIndex(self.encodings, self.labels)
        self.generation += 1

    def _load(self) -> None:
        assert self._aead is not None
        blob = self.path.read_bytes()
        if not blob.startswith(MAGIC):
            raise GalleryError(f"{self.path}: not a Hadir gallery file")
        nonce, ct = blob[len(MAGIC):len(MAGIC) + 12], blob[len(MAGIC) + 12:]
        try:
            plain = self._aead.decrypt(nonce, ct, AAD)
        except InvalidTag as err:
            raise GalleryError(f"{self.path}: wrong gallery key or damaged file") from err
        with np.load(io.BytesIO(plain), allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            self.encodings = data["encodings"].astype(np.float32).reshape(-1, 128)
        self.labels = header["labels"]
        self.names = header["names"]
        self.version = int(header["version"])

    def save(self) -> None:
        """Encrypt and write atomically."""
        if self._aead is None:
            raise GalleryLocked("galeri terkunci: kunci galeri belum diterima dari cloud")
        header = json.dumps({"version": self.version, "labels": self.labels,
                             "names": self.names}).encode()
        buf = io.BytesIO()
        np.savez(buf, encodings=self.encodings, header=np.frombuffer(header, np.uint8))
        nonce = os.urandom(12)
        blob = MAGIC + nonce + self._aead.encrypt(nonce, buf.getvalue(), AAD)
        write_durably(self.path, blob, 0o600)

    def _changed(self) -> None:
        self.index = GalleryIndex(self.encodings, self.labels)
        self.generation += 1
        self.save()

    def add(self, employee_id: str, encoding: NDArray[np.floating], name: str | None = None) -> None:
        """Enrol one encoding locally (IT staff at the kiosk) and save."""
        if self.locked:
            raise GalleryLocked("galeri terkunci: kunci galeri belum diterima dari cloud")
        self.encodings = np.vstack([self.encodings, np.asarray(encoding, np.float32)[None, :]])
        self.labels.append(employee_id)
        if name:
            self.names[employee_id] = name
        self._changed()

    def apply(self, delta: GalleryDelta) -> None:
        """Apply a cloud delta on top of the version held (base 0 replaces everything)."""
        if self.locked:
            raise GalleryLocked(f"delta {delta.base_version}→{delta.version} waits: the gallery "
                                "key has not come from the cloud yet")
        if delta.base_version != 0 and delta.base_version != self.version:
            raise GalleryVersionError(
                f"delta {delta.base_version}→{delta.version} does not fit version {self.version}")
        if delta.base_version == 0:
            keep = np.zeros(len(self.labels), bool)
            names: dict[str, str] = {}
        else:
            gone = set(delta.removals) | {p.employee_id for p in delta.upserts}
            keep = np.array([lab not in gone for lab in self.labels], bool)
            names = {k: v for k, v in self.names.items() if k not in gone}
        labels = [lab for lab, k in zip(self.labels, keep, strict=True) if k]
        rows = [self.encodings[keep]] if len(keep) else []
        for person in delta.upserts:
            encs = np.array([unpack_encoding(e) for e in person.encodings_b64], np.float32)
            rows.append(encs)
            labels += [person.employee_id] * len(encs)
            names[person.employee_id] = person.name
        self.encodings = np.vstack(rows) if rows else np.zeros((0, 128), np.float32)
        self.labels, self.names, self.version = labels, names, delta.version
        self._changed()

    def forget_version(self) -> int:
        """Resync: keep the faces but hold version 0, so the cloud sends a full snapshot."""
        if self.locked:
            raise GalleryLocked("galeri terkunci: kunci galeri belum diterima dari cloud")
        previous, self.version = self.version, 0
        self.save()
        return previous

    def name_of(self, employee_id: str) -> str:
        """The display name, or the id when the gallery has no name for it."""
        return self.names.get(employee_id, employee_id)

    def __len__(self) -> int:
        return len(self.labels)

    def employees(self) -> set[str]:
        """Every enrolled employee id."""
        return set(self.labels)


def open_gallery(settings: EdgeSettings) -> Gallery:
    """The kiosk's gallery with its key: the `gallery-key` credential (made on first boot
    where none is given), or, with `face.gallery_key = "cloud"`, locked until the cloud sends
    the key (nothing of the key is written to the card)."""
    if settings.face.gallery_key == "cloud":
        return Gallery(settings.data_dir / "gallery", None)
    key = load_or_create_gallery_key(settings.credential(settings.face.gallery_key_file))
    return Gallery(settings.data_dir / "gallery", key)


class FaceEngine:
    """Detect, encode and match with face_recognition (dlib)."""

    def __init__(self, gallery: Gallery, threshold: float = 0.5, upsample: int = 0,
                 num_jitters: int = 1):
        from .engine import face_recognition  # the engine's library, imported inside its adapter

        self._fr = face_recognition()
        self.gallery = gallery
        self.threshold = threshold
        self.upsample = upsample
        self.num_jitters = num_jitters

    def encode_single(self, frame: NDArray[np.uint8]) -> tuple[NDArray[np.float64] | None, int]:
        """The encoding of the only face in the frame, and how many faces there were."""
        boxes = self._fr.face_locations(frame, self.upsample)
        if len(boxes) == 0 and self.upsample == 0:
            boxes = self._fr.face_locations(frame, 1)  # enrolment photos may be small
        if len(boxes) != 1:
            return None, len(boxes)
        return self._fr.face_encodings(frame, boxes, num_jitters=self.num_jitters)[0], 1

    def identify(self, frame: NDArray[np.uint8]) -> Verdict:
        """Match the single face in the frame against the gallery."""
        boxes = self._fr.face_locations(frame, self.upsample)
        if not boxes:
            return Verdict(FaceStatus.NO_FACE, None, None, self.threshold, 0)
        if len(boxes) > 1:
            return Verdict(FaceStatus.MULTIPLE_FACES, None, None, self.threshold, len(boxes))
        enc = self._fr.face_encodings(frame, boxes, num_jitters=self.num_jitters)[0]
        label, dist = self.gallery.index.nearest(enc)
        if label is None or dist > self.threshold:
            return Verdict(FaceStatus.UNKNOWN, None, None if label is None else dist,
                           self.threshold, 1, boxes[0])
        return Verdict(FaceStatus.MATCHED, label, dist, self.threshold, 1, boxes[0])
