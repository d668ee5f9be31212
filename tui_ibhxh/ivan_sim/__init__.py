"""The embedded I-VAN simulator."""
