"""Retrying while the database is down, through tenacity: one policy for ingest and fleet."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import psycopg
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_when_event_set,
    wait_exponential,
)

logger = logging.getLogger(__name__)

#: The database is unreachable or the connection broke: wait and try again.
DB_DOWN = (psycopg.OperationalError, psycopg.InterfaceError)
T = TypeVar("T")


class Stopping(Exception):
    """The service was asked to stop while it waited for the database."""


def while_db_down(stop: threading.Event, work: Callable[[], T],
                  on_down: Callable[[], None]) -> T:
    """`work()` until it does not fail with DB_DOWN (0.2 s doubling to 5 s between tries).

    `on_down` runs after each failure (drop the broken connection). Raises Stopping when
    `stop` is set meanwhile; the caller then leaves its messages unacked.
    """
    def log(state: RetryCallState) -> None:
        on_down()
        wait = state.next_action.sleep if state.next_action else 0.0
        logger.warning("database unavailable (%s); retrying in %.1fs",
                       state.outcome.exception() if state.outcome else "?", wait)

    retrying = Retrying(retry=retry_if_exception_type(DB_DOWN),
                        wait=wait_exponential(multiplier=0.2, min=0.2, max=5.0),
                        stop=stop_when_event_set(stop), sleep=stop.wait,
                        before_sleep=log, reraise=False)
    try:
        return retrying(work)
    except RetryError as err:
        raise Stopping from err
