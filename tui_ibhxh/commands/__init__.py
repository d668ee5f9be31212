"""Headless commands. Each module declares its click commands on ``cli.root`` (or a group of its own) with
``cli.command``: a function ``(args, ctx) -> exit code``; ``cli`` imports them all when it runs."""
