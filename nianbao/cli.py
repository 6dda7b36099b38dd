"""The one `nianbao` command. Each part of the project contributes its own subcommands:
parsers.cli (parse, eval), archive.cli (load, reparse, serve, diff, search),
crawler.cli (crawl), crawler.schedule_cli (schedule, status), nianbao.demo (demo). This module only assembles them."""
from __future__ import annotations

import importlib

import click

from nianbao import __version__

COMMAND_MODULES = ("parsers.cli", "archive.cli", "crawler.cli", "crawler.schedule_cli", "crawler.discover_cli",
                   "nianbao.demo")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nianbao")
def main() -> None:
    """nianbao: crawl, parse, archive and diff 政府信息公开工作年度报告."""


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(_name).commands:
        main.add_command(_command)
