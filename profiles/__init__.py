"""Scan profiles shipped with art32, installed as the `scanner.profiles` package data."""
