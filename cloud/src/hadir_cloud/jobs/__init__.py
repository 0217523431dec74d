"""Long work as jobs on a PostgreSQL-backed queue (procrastinate), with progress a page can poll."""
