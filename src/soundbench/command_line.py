"""Command-line overrides that Hydra's grammar cannot read, explained before Hydra sees them.

Hydra reads ``key=value`` with its own lexer: an unquoted value may not hold spaces,
non-ASCII letters (``straße.wav``, ``données/``) or characters such as ``()[]{},'"=``;
it answers with ``LexerNoViableAltException`` and a caret. The entry points check the
arguments first and say how to quote the value instead."""

from __future__ import annotations

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import OverrideParseException


def unreadable_override(arguments: list[str]) -> str | None:
    """A message for the first ``key=value`` argument Hydra cannot parse, else None."""
    parser = OverridesParser.create()
    for argument in arguments:
        if "=" not in argument or argument.startswith("-"):
            continue
        try:
            parser.parse_overrides([argument])
        except OverrideParseException:
            key, value = argument.split("=", 1)
            quoted = f"{key}='{value}'" if "'" not in value else f'{key}="{value}"'
            shell = f'"{quoted}"' if '"' not in quoted else f"'{quoted}'"
            return (
                f"{argument}: Hydra cannot read this value unquoted (spaces, non-ASCII letters and characters "
                "such as ()[]{},= need quotes). Quote it for Hydra, inside the shell's quotes:\n    " + shell
            )
    return None
