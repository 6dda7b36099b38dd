"""Subcommands of `nianbao` for this part (collected by nianbao.cli)."""
import click

commands: list[click.Command] = []
