"""The kiosk's one decision (pure): may what the camera sees become a check-in, and which kind?

Everything the kiosk knows at that moment comes in as plain facts: the faces in the frame
and their quality, who the face is (for the NIP fallback: how close it is to the person
claimed and to everyone else, and the NIP attempts made lately), the liveness verdict, the
geofence, the clock, the person's work schedule and today's events. Out comes a `Decision`:
its `status` (the screen's words come from `TEXT`) and whether an event is written. The
live loop, the NIP keypad, `hadir-edge checkin`, the simulator and the system tests' event
maker all call `decide`; the kiosk only signs and commits a decision that says `record`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hadir_protocol.geo import haversine_m
from hadir_protocol.identifiers import nip_problem
from hadir_protocol.models import Kind, Method, ShiftHours, WorkSchedules

from .liveness.core import LivenessResult


class Status(StrEnum):
    """What came of a frame or an attempt; the value is the code the screen page reads."""

    IDLE = "idle"
    CHECKING = "checking"  # liveness is still watching
    DONE = "done"  # this person was decided already: step away
    RECORDED = "recorded"
    REPEAT = "repeat"
    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    FACE_TOO_SMALL = "face_too_small"
    BLURRED = "blurred"
    UNKNOWN = "unknown"
    NOT_LIVE = "not_live"
    OUTSIDE_GEOFENCE = "outside_geofence"
    INVALID_NIP = "invalid_nip"
    NIP_OTHER_PERSON = "nip_other_person"
    NIP_MISMATCH = "nip_mismatch"
    NIP_RATE_LIMITED = "nip_rate_limited"
    CAMERA_ERROR = "camera_error"


class Note(StrEnum):
    """Words added to a status."""

    IN = "in"
    OUT = "out"
    LATE = "late"
    EARLY = "early"
    NIP_REVIEW = "nip_review"
    NIP_PHOTO = "nip_photo"
    OFFLINE = "offline"


#: Everything the kiosk says, in one table (Bahasa Indonesia).
TEXT: Mapping[Status | Note, str] = {
    Status.IDLE: "Silakan hadapkan wajah ke kamera",
    Status.CHECKING: "Tahan sebentar…",
    Status.DONE: "Terima kasih, silakan lanjut",
    Status.RECORDED: "{kind} {time}, tercatat",
    Status.REPEAT: "sudah tercatat",
    Status.NO_FACE: "wajah tidak terlihat",
    Status.MULTIPLE_FACES: "lebih dari satu wajah",
    Status.FACE_TOO_SMALL: "wajah terlalu kecil, silakan mendekat",
    Status.BLURRED: "gambar buram, silakan diam sejenak",
    Status.UNKNOWN: "wajah tidak dikenali",
    Status.NOT_LIVE: "verifikasi wajah hidup gagal",
    Status.OUTSIDE_GEOFENCE: "di luar area kantor",
    Status.INVALID_NIP: "NIP tidak valid: {problem}",
    Status.NIP_OTHER_PERSON: "wajah ini lebih mirip pegawai lain yang terdaftar; NIP ditolak",
    Status.NIP_MISMATCH: "wajah tidak cocok dengan foto terdaftar untuk NIP ini",
    Status.NIP_RATE_LIMITED: "terlalu banyak percobaan NIP; coba lagi nanti atau hubungi petugas",
    Status.CAMERA_ERROR: "Kamera bermasalah — hubungi petugas TI",
    Note.IN: "Masuk",
    Note.OUT: "Pulang",
    Note.LATE: "terlambat {minutes} menit",
    Note.EARLY: "{minutes} menit lebih awal",
    Note.NIP_REVIEW: "NIP + foto: menunggu diperiksa atasan, belum dihitung hadir",
    Note.NIP_PHOTO: "foto bukti perlu satu wajah",
    Note.OFFLINE: "jaringan terputus, data tersimpan",
}

#: statuses that end an attempt (the screen holds them; the person steps away)
FINAL = frozenset({Status.RECORDED, Status.REPEAT, Status.NOT_LIVE, Status.OUTSIDE_GEOFENCE,
                   Status.INVALID_NIP, Status.NIP_OTHER_PERSON, Status.NIP_MISMATCH,
                   Status.NIP_RATE_LIMITED})
#: refusals about the frame (come closer, hold still, one at a time): the next frame may pass
FRAME_REFUSALS = frozenset({Status.NO_FACE, Status.MULTIPLE_FACES, Status.FACE_TOO_SMALL,
                            Status.BLURRED})


@dataclass(frozen=True)
class QualityLimits:
    """Refuse smaller or blurrier faces than these."""

    min_face_px: int = 80
    min_sharpness: float = 40.0


@dataclass(frozen=True)
class DutyApproval:
    """An approved duty elsewhere (dinas luar): check-ins allowed near that place that day."""

    employee_id: str
    day: date
    lat: float
    lon: float
    radius_m: float


@dataclass(frozen=True)
class Sight:
    """What the camera shows: how many faces, the face's height and sharpness, who it is."""

    faces: int
    face_px: int = 0
    sharpness: float = 0.0
    employee_id: str | None = None  # the nearest enrolled person, if within the threshold
    distance: float | None = None  # to the nearest enrolled person
    threshold: float = 0.5


@dataclass(frozen=True)
class Claim:
    """The NIP fallback: the NIP typed, how the face compares with that person and with the
    others enrolled, and the NIP attempts made before this one."""

    nip: str
    enrolled: bool
    distance: float | None = None  # face → the claimed person (None: not enrolled, no face)
    nearest_other: tuple[str, float] | None = None  # the closest enrolled person but them
    kiosk_attempts: int = 0  # on this kiosk within Policy.nip_kiosk_window_s
    nip_attempts: int = 0  # for this NIP within Policy.nip_window_s


@dataclass(frozen=True)
class Context:
    """Where and when: the clock, the office's zone, the geofence, approved duties, the work
    schedules, whether the person checked in since their local day began, and their events
    within the repeat window."""

    now_utc: datetime
    tz: str
    inside_office: bool | None = None  # None: no GPS fix (allowed, recorded as such)
    position: tuple[float, float] | None = None
    duties: Sequence[DutyApproval] = ()
    work: WorkSchedules = field(default_factory=WorkSchedules)
    checked_in_today: bool = False
    events: Sequence[tuple[datetime, Kind]] = ()


@dataclass(frozen=True)
class Policy:
    """The kiosk's limits (from its settings and the cloud's config)."""

    limits: QualityLimits = QualityLimits()
    liveness: bool = True  # off only on simulated kiosks fed still photos
    repeat_window_s: int = 300
    nip_kiosk_limit: int = 5
    nip_kiosk_window_s: int = 60
    nip_limit: int = 3
    nip_window_s: int = 900
    nip_max_distance: float = 0.7


@dataclass(frozen=True)
class Decision:
    """What the kiosk does: write an event (its kind, who, how) or say why not."""

    status: Status
    message: str
    employee_id: str | None = None
    kind: Kind | None = None
    method: Method = Method.FACE
    local_time: str | None = None
    distance: float | None = None
    schedule_ref: str | None = None
    late_minutes: int | None = None
    early_minutes: int | None = None
    notes: tuple[str, ...] = ()  # said in the message's parentheses; the screen's second line

    @property
    def headline(self) -> str:
        """The message without its notes (the screen's big line)."""
        return self.message.split(" (", 1)[0] if self.notes else self.message

    @property
    def record(self) -> bool:
        """True when an event is to be signed and committed."""
        return self.status is Status.RECORDED

    @property
    def final(self) -> bool:
        """True when the attempt is over (recorded, repeat, or refused for good)."""
        return self.status in FINAL


def check_quality(sight: Sight, limits: QualityLimits) -> Status | None:
    """Refuse frames with no face, several faces, a small face or a blurred one."""
    if sight.faces == 0:
        return Status.NO_FACE
    if sight.faces > 1:
        return Status.MULTIPLE_FACES
    if sight.face_px < limits.min_face_px:
        return Status.FACE_TOO_SMALL
    if sight.sharpness < limits.min_sharpness:
        return Status.BLURRED
    return None


def geofence_allows(inside_office: bool | None, employee_id: str, local_day: date,
                    position: tuple[float, float] | None,
                    duties: Sequence[DutyApproval] = ()) -> bool:
    """Inside the office radius, or near an approved duty place today.

    Without a fix (`inside_office` None) the event is allowed and recorded as "no fix" for
    review: a kiosk in a blind spot must still work.
    """
    if inside_office is None or inside_office:
        return True
    if position is None:
        return False
    return any(
        d.employee_id == employee_id and d.day == local_day
        and haversine_m(position[0], position[1], d.lat, d.lon) <= d.radius_m
        for d in duties
    )


def _minute_of(local: datetime) -> int:
    return local.hour * 60 + local.minute


def kind_for(local: datetime, hours: ShiftHours | None, checked_in_today: bool) -> Kind:
    """In or out from the person's hours that day.

    Before the midpoint of the day: in. After it: out once the person checked in that day;
    without a check-in yet, an arrival before the end of the day is still in (late). Without
    any work schedule: in before noon, out after.
    """
    now = _minute_of(local)
    if hours is None:
        return Kind.IN if now < 12 * 60 else Kind.OUT
    start, end = hours.minutes("start"), hours.minutes("end")
    if now < start + (end - start) / 2:
        return Kind.IN
    if checked_in_today:
        return Kind.OUT
    return Kind.IN if now < end else Kind.OUT


def is_repeat(now: datetime, kind: Kind, events: Sequence[tuple[datetime, Kind]],
              window_s: int) -> bool:
    """True when the same person made the same kind of event within the window."""
    horizon = now - timedelta(seconds=window_s)
    return any(k is kind and horizon <= at <= now for at, k in events)


def _refuse(status: Status, **fmt: object) -> Decision:
    return Decision(status, TEXT[status].format(**fmt))


def _nip_refusal(claim: Claim, policy: Policy) -> Decision | None:
    """The NIP fallback's own rules: attempts, the NIP itself, and the face against it."""
    if claim.kiosk_attempts >= policy.nip_kiosk_limit or claim.nip_attempts >= policy.nip_limit:
        return _refuse(Status.NIP_RATE_LIMITED)
    problem = None if claim.enrolled else nip_problem(claim.nip)
    if problem:
        return _refuse(Status.INVALID_NIP, problem=problem)
    return None


def _face_against_claim(claim: Claim, sight: Sight, policy: Policy) -> Decision | None:
    """Refuse a face closer to someone else enrolled than to the person claimed (or, when the
    claimed person has no enrolled face, one that matches someone else), or far from them."""
    other = claim.nearest_other
    if other is not None:
        closer = other[1] < claim.distance if claim.distance is not None else (
            other[1] <= sight.threshold)
        if closer:
            return _refuse(Status.NIP_OTHER_PERSON)
    if claim.distance is not None and claim.distance > policy.nip_max_distance:
        return _refuse(Status.NIP_MISMATCH)
    return None


def decide(sight: Sight, *, liveness: LivenessResult | None, context: Context, policy: Policy,
           claim: Claim | None = None, decided: bool = False,
           kind: Kind | None = None) -> Decision:
    """All the rules in order: the person already decided, the NIP's attempts and form, the
    frame's quality, who it is, liveness, the face against a claimed NIP, the geofence, the
    kind from the work schedule, the repeat window. `liveness` None: still watching."""
    if decided:
        return _refuse(Status.DONE)
    if claim is not None and (refusal := _nip_refusal(claim, policy)):
        return refusal
    quality = check_quality(sight, policy.limits)
    if quality is not None:
        message = TEXT[quality]
        if claim is not None and quality in (Status.NO_FACE, Status.MULTIPLE_FACES):
            message += ": " + TEXT[Note.NIP_PHOTO]
        return Decision(quality, message)
    if claim is None and sight.employee_id is None:
        return Decision(Status.UNKNOWN, TEXT[Status.UNKNOWN], distance=sight.distance)
    # a claimed NIP always needs a live face; the face path unless liveness is off
    if policy.liveness or claim is not None:
        if liveness is None:
            return _refuse(Status.CHECKING)
        if not liveness.passed:
            return _refuse(Status.NOT_LIVE)
    if claim is not None:
        if (refusal := _face_against_claim(claim, sight, policy)):
            return refusal
        who, method, distance = claim.nip, Method.NIP, claim.distance
    else:
        assert sight.employee_id is not None
        who, method, distance = sight.employee_id, Method.FACE, sight.distance
    local = context.now_utc.astimezone(ZoneInfo(context.tz))
    if not geofence_allows(context.inside_office, who, local.date(), context.position,
                           context.duties):
        return Decision(Status.OUTSIDE_GEOFENCE, TEXT[Status.OUTSIDE_GEOFENCE], who,
                        method=method, distance=distance)
    found = context.work.hours_for(who, local.date())
    hours = found[1] if found else None
    kind = kind or kind_for(local, hours, context.checked_in_today)
    hhmm = f"{local:%H:%M}"
    base = dict(employee_id=who, kind=kind, method=method, local_time=hhmm, distance=distance,
                schedule_ref=found[0] if found else None)
    if is_repeat(context.now_utc, kind, context.events, policy.repeat_window_s):
        return Decision(Status.REPEAT, TEXT[Status.REPEAT], **base)  # type: ignore[arg-type]
    late = early = None
    notes = []
    if hours is not None and kind is Kind.IN and _minute_of(local) > hours.minutes("start"):
        late = _minute_of(local) - hours.minutes("start")
        notes.append(TEXT[Note.LATE].format(minutes=late))
    if hours is not None and kind is Kind.OUT and _minute_of(local) < hours.minutes("end"):
        early = hours.minutes("end") - _minute_of(local)
        notes.append(TEXT[Note.EARLY].format(minutes=early))
    if method is Method.NIP:
        notes.append(TEXT[Note.NIP_REVIEW])
    label = TEXT[Note.IN] if kind is Kind.IN else TEXT[Note.OUT]
    message = TEXT[Status.RECORDED].format(kind=label, time=hhmm)
    if notes:
        message += " (" + "; ".join(notes) + ")"
    return Decision(Status.RECORDED, message, late_minutes=late, early_minutes=early,
                    notes=tuple(notes), **base)  # type: ignore[arg-type]
