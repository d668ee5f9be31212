"""Headless subcommands. Each module exposes ``register(subparsers)`` which adds its parser and sets
``func`` to a callable ``(args, ctx) -> int`` (the exit code)."""
