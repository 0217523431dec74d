"""The MQTT → database ingest: `pipeline` (decode, verify, write; no MQTT) and `worker` (MQTT)."""

from .pipeline import Outcome, Pipeline, Result
from .worker import IngestWorker, run_ingest

__all__ = ["IngestWorker", "Outcome", "Pipeline", "Result", "run_ingest"]
