"""`python -m hadir_devstack.crashing_ingest`: `hadir-cloud ingest` that dies (exit 70) right after
its first database commit and before any ack — the fault the system tests inject to prove that
the broker redelivers and nothing is counted twice. Test entry point; not in production."""

from __future__ import annotations

import logging
import os

from hadir_cloud import cli
from hadir_cloud.ingest.pipeline import Result
from hadir_cloud.ingest.worker import IngestWorker

logger = logging.getLogger(__name__)
EXIT_CODE = 70


def _die_before_acks(self: IngestWorker, messages: list[object], result: Result) -> None:
    logger.error("fault injection: exiting after the commit, before %d acks", len(messages))
    os._exit(EXIT_CODE)


def main() -> None:
    """Run the real ingest command with the crash in place of its acks."""
    IngestWorker._acknowledge = _die_before_acks  # type: ignore[method-assign,assignment]
    cli.main(["ingest"])


if __name__ == "__main__":
    main()
