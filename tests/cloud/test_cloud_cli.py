"""The `hadir-cloud` command line: every group and command explains itself."""

from __future__ import annotations

import click
from click.testing import CliRunner
from hadir_cloud.cli import main


def walk(cmd: click.Command, path: tuple[str, ...] = ()):
    """Yield (path, command) for the group and everything under it."""
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            yield from walk(sub, path + (name,))


def test_every_command_has_help_text():
    names = {p for p, _ in walk(main)}
    for expected in [("db", "upgrade"), ("db", "status"), ("office", "add"), ("device", "add"),
                     ("device", "list"), ("user", "add"), ("token", "create"), ("ingest",),
                     ("portal",), ("tpp",)]:
        assert expected in names, expected
    missing = [" ".join(p) for p, c in walk(main) if p and not (c.help or c.short_help)]
    assert missing == []
    runner = CliRunner()
    for path, _ in walk(main):
        res = runner.invoke(main, [*path, "--help"])
        assert res.exit_code == 0, (path, res.output)
        assert "Usage" in res.output
