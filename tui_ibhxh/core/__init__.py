"""Pure domain: no I/O, no Textual, no aiohttp."""
