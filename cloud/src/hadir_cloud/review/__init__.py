"""The review of NIP check-ins: a queue, decisions, and what counts as presence."""
