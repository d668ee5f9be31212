"""I/O services (token, I-VAN client, journal, config). Never imports Textual."""
