"""Renderers: turn a scan result into console output and report files. Checks never format output."""
