"""Check-in messages → verified, deduplicated rows, and what to tell each kiosk (no MQTT here).

One call of `Pipeline.process` takes a batch of (topic, payload) messages and
writes them in ONE transaction: COPY into a staging table, INSERT … ON CONFLICT
DO NOTHING RETURNING (so stored and duplicate are known), the quarantine, and
every refusal with its reason and raw bytes. The caller acks only after it
returns.

Isolation: nothing one message contains can make `process` raise, except the
database being down (`psycopg.OperationalError`/`InterfaceError`, which the
caller retries). A failure while decoding or verifying one message or event
becomes a refusal of that message or event only; a row the database refuses
sends the batch through again one row at a time, so one bad member never fails
the rest.

The raw bytes of a refusal are kept once per (digest, reason) with a count, so
a kiosk that resends the same held event, or an attacker who repeats a message,
does not fill the disk.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import psycopg
from hadir_protocol import topics
from hadir_protocol.codec import check_time, decode_checkins, encode, parse_checkin
from hadir_protocol.models import AckItem, AckStatus, CheckIn
from hadir_protocol.reasons import Disposition, Reason, Rejected, disposition
from hadir_protocol.strict import printable

from .. import refusals
from ..keys import DeviceKeys
from ..retry import DB_DOWN
from ..rows import COLUMNS, checkin_row, photo_bytes

logger = logging.getLogger(__name__)



class Message(Protocol):
    """What the pipeline reads of an MQTT message."""

    topic: str
    payload: bytes


@dataclass(frozen=True)
class Outcome:
    """What became of one event (or of a whole message, `event_id` None)."""

    event_id: str | None
    status: AckStatus | None  # stored / duplicate / rejected / held / quarantined
    reason: Reason | None = None
    raw_sha256: bytes | None = None  # where refused: the digest its raw bytes are kept under


@dataclass
class Result:
    """What one transaction wrote, and what to tell each kiosk after the commit."""

    acks: dict[str, list[AckItem]] = field(default_factory=lambda: defaultdict(list))
    outcomes: list[list[Outcome]] = field(default_factory=list)
    stored: int = 0
    duplicates: int = 0
    refused: int = 0


@dataclass
class _Refusal:
    topic: str
    device_id: str | None
    event_id: str | None
    reason: Reason
    detail: str
    raw: bytes
    index: int


@dataclass
class _Batch:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    row_of: dict[str, tuple[str, int]] = field(default_factory=dict)  # event_id → (device, msg)
    repeats: list[tuple[str, str, int]] = field(default_factory=list)  # twice in one batch
    refused_rows: list[tuple[str, str, int]] = field(default_factory=list)  # the DB said no
    quarantine: list[tuple[tuple[Any, ...], str, int]] = field(default_factory=list)
    quarantined: set[str] = field(default_factory=set)  # their event ids, for the repeat test
    refusals: list[_Refusal] = field(default_factory=list)


class Pipeline:
    """Decode → verify → plausibility → write, for the ingest worker and the fuzz test."""

    def __init__(self, keys: DeviceKeys, max_ahead: timedelta = timedelta(minutes=5),
                 max_age: timedelta = timedelta(days=35)):
        self.keys = keys
        self.max_ahead = max_ahead
        self.max_age = max_age

    @staticmethod
    def prepare(conn: psycopg.Connection) -> None:
        """Once per connection: the staging table (and the keys)."""
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS stage (LIKE checkins INCLUDING DEFAULTS) "
            "ON COMMIT DELETE ROWS")

    def process(self, conn: psycopg.Connection, messages: Iterable[Message]) -> Result:
        """Classify and write a batch in one transaction; raises only when the database is down."""
        msgs = list(messages)
        result = Result(outcomes=[[] for _ in msgs])
        batch = _Batch()
        now = datetime.now(UTC)
        for i, msg in enumerate(msgs):
            try:
                self._message(conn, msg, i, batch, result, now)
            except DB_DOWN:
                raise
            except Exception as err:  # isolation: whatever one message does, the rest go on
                logger.exception("classifying a message on %s failed", printable(msg.topic))
                batch.refusals.append(_Refusal(msg.topic, None, None, Reason.INTERNAL_ERROR,
                                               f"{type(err).__name__}: {err}", msg.payload, i))
        try:
            stored = self._write(conn, batch, one_by_one=False)
        except DB_DOWN:
            raise
        except Exception as err:
            logger.warning("the batch failed as a whole (%s); writing it row by row",
                           printable(str(err))[:200])
            stored = self._write(conn, batch, one_by_one=True)
        self._tally(batch, stored, result)
        return result

    # --- classification -------------------------------------------------------------
    def _message(self, conn: psycopg.Connection, msg: Message, i: int, batch: _Batch,
                 result: Result, now: datetime) -> None:
        try:
            device = topics.parse(msg.topic).device_id
        except ValueError as err:
            batch.refusals.append(_Refusal(msg.topic, None, None, Reason.BAD_TOPIC, str(err),
                                           msg.payload, i))
            return
        try:
            raws, is_batch = decode_checkins(msg.payload, device)
        except Rejected as rej:
            batch.refusals.append(_Refusal(msg.topic, device, None, rej.reason, rej.detail,
                                           msg.payload, i))
            return
        for raw in raws:
            try:
                self._event(conn, device, raw, i, batch, now)
            except DB_DOWN:
                raise
            except Exception as err:
                rej = err if isinstance(err, Rejected) else Rejected(
                    Reason.INTERNAL_ERROR, f"{type(err).__name__}: {err}", _event_id(raw))
                if not isinstance(err, Rejected):
                    logger.exception("an event on %s failed", printable(msg.topic))
                if disposition(rej.reason) is Disposition.QUARANTINED:
                    continue  # _event put it in the quarantine; its ack follows the commit
                raw_bytes = _raw_of(raw, msg.payload) if is_batch else msg.payload
                eid = rej.event_id or _event_id(raw)
                batch.refusals.append(_Refusal(msg.topic, device, eid, rej.reason, rej.detail,
                                               raw_bytes, i))
                status = _STATUS[disposition(rej.reason)]
                item = _ack_item(eid, status, rej.reason)
                if item is not None:
                    result.acks[device].append(item)
                result.outcomes[i].append(Outcome(eid, status, rej.reason,
                                                  hashlib.sha256(raw_bytes).digest()))

    def _event(self, conn: psycopg.Connection, device: str, raw: dict[str, Any], i: int,
               batch: _Batch, now: datetime) -> None:
        event = parse_checkin(raw, device)
        self.keys.verify(conn, device, raw, event.captured_at)
        eid = str(event.event_id)
        if eid in batch.row_of or eid in batch.quarantined:
            batch.repeats.append((eid, device, i))
            return  # the same event twice in one batch: acked as a duplicate
        try:
            check_time(event, now, self.max_ahead, self.max_age)
        except Rejected as rej:
            batch.quarantine.append((_quarantine_row(event, raw, rej), eid, i))
            batch.quarantined.add(eid)
            raise
        batch.rows.append(checkin_row(event, raw))
        batch.row_of[eid] = (device, i)

    # --- writing ----------------------------------------------------------------------
    def _write(self, conn: psycopg.Connection, batch: _Batch, *, one_by_one: bool) -> set[str]:
        """One transaction; returns the event ids stored (not duplicates)."""
        stored: set[str] = set()
        cols = ", ".join(COLUMNS)
        with conn.transaction():
            if batch.rows and not one_by_one:
                with conn.cursor() as cur:
                    with cur.copy(f"COPY stage ({cols}) FROM STDIN") as cp:
                        for row in batch.rows:
                            cp.write_row(row)
                    cur.execute(f"INSERT INTO checkins ({cols}) SELECT {cols} FROM stage "
                                "ON CONFLICT DO NOTHING RETURNING event_id")
                    stored = {str(r[0]) for r in cur.fetchall()}
            elif batch.rows:
                marks = ", ".join(["%s"] * len(COLUMNS))
                for row in list(batch.rows):
                    try:
                        with conn.transaction():
                            got = conn.execute(f"INSERT INTO checkins ({cols}) VALUES ({marks}) "
                                               "ON CONFLICT DO NOTHING RETURNING event_id",
                                               row).fetchone()
                    except DB_DOWN:
                        raise
                    except psycopg.Error as err:
                        self._refuse_row(batch, row, err)
                        continue
                    if got is not None:
                        stored.add(str(got[0]))
            for qrow, _eid, _i in batch.quarantine:
                self._guarded(conn, one_by_one, "INSERT INTO checkin_quarantine (event_id, "
                              "device_id, employee_id, captured_at, reason, detail, payload, photo) "
                              "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                              "ON CONFLICT (event_id) DO NOTHING", qrow)
            for r in batch.refusals:
                self._guarded(conn, one_by_one, refusals.KEEP_SQL, refusals.params(
                    r.topic, r.device_id, r.event_id, r.reason.value, r.detail, r.raw))
        return stored

    def _guarded(self, conn: psycopg.Connection, one_by_one: bool, sql: str,
                 params: tuple[Any, ...]) -> None:
        if not one_by_one:
            conn.execute(sql, params)  # type: ignore[arg-type]
            return
        try:
            with conn.transaction():
                conn.execute(sql, params)  # type: ignore[arg-type]
        except DB_DOWN:
            raise
        except psycopg.Error:
            logger.exception("the database refused a quarantine or refusal row; it is in the log")

    def _refuse_row(self, batch: _Batch, row: tuple[Any, ...], err: psycopg.Error) -> None:
        eid = str(row[0])
        device, i = batch.row_of.pop(eid)
        batch.rows.remove(row)
        payload = row[COLUMNS.index("payload")]
        batch.refusals.append(_Refusal(topics.checkin(device), device, eid,
                                       Reason.DATABASE_REFUSED, printable(str(err))[:300],
                                       str(payload).encode("utf-8", "backslashreplace"), i))
        batch.refused_rows.append((eid, device, i))

    def _tally(self, batch: _Batch, stored: set[str], result: Result) -> None:
        def tell(device: str, i: int, eid: str, status: AckStatus, reason: Reason | None) -> None:
            # every id here is a validated event's: the ack needs no second validation
            result.acks[device].append(AckItem.model_construct(
                event_id=uuid.UUID(eid), status=status, reason=reason.value if reason else None))
            result.outcomes[i].append(Outcome(eid, status, reason))

        for eid, (device, i) in batch.row_of.items():
            tell(device, i, eid, AckStatus.STORED if eid in stored else AckStatus.DUPLICATE, None)
        refused = {eid for eid, _, _ in batch.refused_rows}
        quarantined = {eid: Reason(qrow[4]) for qrow, eid, _ in batch.quarantine}
        for eid, device, i in batch.repeats:  # the same answer as the first copy got
            if eid in quarantined:
                tell(device, i, eid, AckStatus.QUARANTINED, quarantined[eid])
            elif eid in refused:
                tell(device, i, eid, AckStatus.HELD, Reason.DATABASE_REFUSED)
            else:
                tell(device, i, eid, AckStatus.DUPLICATE, None)
        for eid, device, i in batch.refused_rows:
            tell(device, i, eid, AckStatus.HELD, Reason.DATABASE_REFUSED)
        for qrow, eid, i in batch.quarantine:
            tell(qrow[1], i, eid, AckStatus.QUARANTINED, Reason(qrow[4]))
        for r in batch.refusals:  # whole messages (events were told above or in _message)
            if r.event_id is None and not result.outcomes[r.index]:
                result.outcomes[r.index].append(Outcome(None, None, r.reason,
                                                        hashlib.sha256(r.raw).digest()))
        result.stored = len(stored)
        result.duplicates = len(batch.row_of) - len(stored) + len(batch.repeats)
        result.refused = len(batch.refusals)


def _event_id(raw: Any) -> str | None:
    value = raw.get("event_id") if isinstance(raw, dict) else None
    return printable(value)[:64] if isinstance(value, str) else None


def _raw_of(raw: Any, payload: bytes) -> bytes:
    """One batch member's bytes (re-encoded), or the whole message when that fails."""
    try:
        return encode(raw) if isinstance(raw, dict) else payload
    except (TypeError, ValueError):
        return payload


def _quarantine_row(event: CheckIn, raw: dict[str, Any], rej: Rejected) -> tuple[Any, ...]:
    from psycopg.types.json import Jsonb

    payload = {k: v for k, v in raw.items() if k != "photo_jpeg_b64"}
    return (event.event_id, event.device_id, event.employee_id, event.captured_at,
            rej.reason.value, printable(rej.detail)[:500], Jsonb(payload), photo_bytes(event))


_STATUS = {Disposition.REJECTED: AckStatus.REJECTED, Disposition.HELD: AckStatus.HELD,
           Disposition.QUARANTINED: AckStatus.QUARANTINED}


def _ack_item(event_id: str | None, status: AckStatus, reason: Reason | None) -> AckItem | None:
    """The ack for an event, or None when its id is not even a UUID (nothing to ack)."""
    if event_id is None:
        return None
    try:
        return AckItem.model_validate({"event_id": event_id, "status": status,
                                       "reason": reason.value if reason else None})
    except ValueError:
        return None
