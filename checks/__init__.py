"""Built-in provider plugins of art32, each registered through the `art32.checks` entry points."""
