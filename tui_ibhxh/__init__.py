"""tui-ibhxh: update the certificate a unit has registered with BHXH through its I-VAN."""

__version__ = "0.1.0"
