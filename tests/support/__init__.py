"""Test helpers shared by every test package (software PKI, ...)."""
