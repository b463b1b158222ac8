"""Plugins: transports, tools, guardrails and CLI commands from installed packages (pluggy)."""

from .hookspecs import CliCommand, CommandRegistrar, hookimpl, hookspec
from .manager import (
    BLOCK_ENV,
    ENTRY_POINT_GROUP,
    PluginHost,
    build_plugin_manager,
    default_host,
    reset_default_host,
)

__all__ = [
    "BLOCK_ENV",
    "ENTRY_POINT_GROUP",
    "CliCommand",
    "CommandRegistrar",
    "PluginHost",
    "build_plugin_manager",
    "default_host",
    "hookimpl",
    "hookspec",
    "reset_default_host",
]
