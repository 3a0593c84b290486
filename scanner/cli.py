"""The `art32` command line. Only this module decides exit codes."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from scanner import __version__
from scanner.config import ScanConfig, load_scan_config, load_scan_file
from scanner.explain import catalogue_markdown, explain_text, render_catalogue
from scanner.model import Severity, Status
from scanner.permissions import render_permissions
from scanner.profile import load_profile, packaged_profiles
from scanner.registry import PluginError, Registry
from scanner.report.console import render_console
from scanner.report.json_report import write_json_report
from scanner.report.summary import failing
from scanner.runner import ProgressSink, ScanResult, plan, run_scan
from scanner.validation import ConfigError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_SCAN_ERRORS = 3
EXIT_REPORT_NOT_WRITTEN = 4
EXIT_INTERRUPTED = 130

FILE_FORMATS = ("json",)
FORMATS = ("console", *FILE_FORMATS)
DEFAULT_REPORT_DIR = Path("art32-report")
DEFAULT_DEMO_DIR = Path("art32-demo")
PIPE_WIDTH = 160
"""Columns of console output when it goes to a pipe or file and COLUMNS is unset."""

log = logging.getLogger("art32")


def main(argv: Sequence[str] | None = None) -> int:
    # sslyze's bundled trust stores hold a certificate with a negative serial number, so
    # cryptography warns on every load (sslyze 6.3, cryptography 46). Users cannot act on it.
    warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive")
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if arguments.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    previous = _interrupt_on_sigterm()
    try:
        return int(arguments.handler(arguments))
    except (ConfigError, PluginError) as error:
        print(f"art32: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("art32: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt_on_sigterm() -> Any:
    """Treat SIGTERM (Kubernetes, systemd) like Ctrl-C, so lab servers and reports are cleaned up.

    Return the previous handler, or None where handlers cannot be set (outside the main thread).
    """
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_signal: int, _frame: object) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="art32",
        description="Scan infrastructure for the technical measures of GDPR Article 32.",
    )
    parser.add_argument("--version", action="version", version=f"art32 {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = commands.add_parser("scan", help="scan the targets of a scan file")
    scan.add_argument("-c", "--config", type=Path, metavar="FILE",
                      help="scan file (YAML) naming the targets and the profile")
    scan.add_argument("--tls", action="append", default=[], metavar="HOST:PORT",
                      help="also scan this TLS endpoint (repeatable; IPv6 as [::1]:443; port 443 if absent)")
    _add_scan_options(scan, DEFAULT_REPORT_DIR)
    scan.add_argument("--fail-on", type=_severity, metavar="SEVERITY",
                      help="exit 1 on a failing finding of this severity or higher: "
                           f"{', '.join(s.value for s in Severity)} (default: the profile's fail_on)")
    scan.add_argument("--ssh-accept-new", action="store_true",
                      help="record unknown SSH host keys in known_hosts on first use; a changed key is still "
                           "rejected")
    scan.add_argument("--fail-on-error", action="store_true",
                      help="exit 3 when any check could not be evaluated")
    scan.set_defaults(handler=run_scan_command)

    demo = commands.add_parser("demo", help="start the local lab, scan it and stop it")
    _add_scan_options(demo, DEFAULT_DEMO_DIR)
    demo.add_argument("--keep-running", action="store_true",
                      help="leave the lab up after the scan and print its scan file")
    demo.set_defaults(handler=run_demo_command)

    validate = commands.add_parser("validate", help="check a scan file and its profile, no network")
    validate.add_argument("-c", "--config", type=Path, required=True, metavar="FILE")
    validate.add_argument("--profile", metavar="NAME|PATH", help="profile to use instead of the file's")
    validate.set_defaults(handler=run_validate_command)

    catalogue = commands.add_parser("checks", help="list the installed checks")
    catalogue.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    catalogue.set_defaults(handler=run_checks_command)

    grants = commands.add_parser("permissions",
                                 help="print the least-privilege grant for the checks a profile selects")
    grants.add_argument("provider", choices=("aws", "gcp", "azure", "tls", "ssh"))
    grants.add_argument("--profile", default="baseline", metavar="NAME|PATH",
                        help="profile whose selected checks need the grant (default: baseline)")
    grants.set_defaults(handler=run_permissions_command)

    explain = commands.add_parser("explain", help="show one check: why, how to fix, permissions")
    explain.add_argument("check_id", metavar="CHECK_ID")
    explain.set_defaults(handler=run_explain_command)
    return parser


def _severity(text: str) -> Severity:
    try:
        return Severity(text.lower())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid severity {text!r}; expected one of {', '.join(s.value for s in Severity)}") from None


def _add_scan_options(parser: argparse.ArgumentParser, default_dir: Path) -> None:
    parser.add_argument("--profile", metavar="NAME|PATH",
                        help="profile name from the shipped profiles, or a path to a YAML file")
    parser.add_argument("--format", default=None, metavar="FORMATS",
                        help=f"comma-separated output formats: {', '.join(FORMATS)} "
                             "(default: console)")
    parser.add_argument("--output-dir", type=Path, metavar="DIR",
                        help=f"folder for report files (default: ./{default_dir}/)")
    parser.add_argument("--show-all", action="store_true",
                        help="list every finding on the console, passes included")


def parse_formats(text: str | None, default: Sequence[str]) -> list[str]:
    if text is None:
        return list(default)
    formats = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ConfigError("--format", [f"unknown format {', '.join(unknown) or '(empty)'}; "
                                       f"expected a comma-separated list of {', '.join(FORMATS)}"])
    return formats


def run_scan_command(arguments: argparse.Namespace) -> int:
    formats = parse_formats(arguments.format, ["console"])
    registry = Registry.load()
    if arguments.config is None and not arguments.tls:
        raise ConfigError("art32 scan", ["name a scan file with -c FILE, or endpoints with --tls HOST:PORT"])
    config = load_scan_config(arguments.config, registry, arguments.profile, extra_tls=arguments.tls)
    config = dataclasses.replace(config, ssh_accept_new=arguments.ssh_accept_new)
    fail_on = arguments.fail_on or config.profile.fail_on

    result = _scan_with_progress(config, registry)
    output_dir = arguments.output_dir or DEFAULT_REPORT_DIR
    status = _emit(result, formats, output_dir, fail_on, arguments.show_all)
    if status != EXIT_OK:
        return status
    if arguments.fail_on_error and any(f.status is Status.ERROR for f in result.findings):
        return EXIT_SCAN_ERRORS
    return EXIT_FINDINGS if failing(result.findings, fail_on) else EXIT_OK


def run_demo_command(arguments: argparse.Namespace) -> int:
    from scanner.lab import Lab, LabUnavailable

    formats = parse_formats(arguments.format, ["console", "json"])
    registry = Registry.load()
    output_dir = arguments.output_dir or DEFAULT_DEMO_DIR
    lab = Lab()
    try:
        lab.start()
    except LabUnavailable as error:
        print(f"art32: error: the lab cannot start: {error}", file=sys.stderr)
        lab.stop()
        return EXIT_USAGE

    try:
        for skipped in lab.skipped:
            print(f"lab: skipped {skipped}", file=sys.stderr)
        config = load_scan_file(lab.scan_file, registry, arguments.profile)
        result = _scan_with_progress(config, registry)
        # The demo's point is to show each seeded resource's verdict, so passes are listed too.
        status = _emit(result, formats, output_dir, config.profile.fail_on, show_all=True)
        if arguments.keep_running:
            _wait_for_interrupt(lab.scan_file, lab.environment)
        return status
    finally:
        lab.stop()


def _wait_for_interrupt(scan_file: Path, environment: dict[str, str]) -> None:
    print(f"\nThe lab keeps running. Its folder: {scan_file.parent}")
    print(f"Its scan file: {scan_file}")
    print("In another shell, set its environment and scan it by hand:")
    for key, value in environment.items():
        print(f"  export {key}={value}")
    print(f"  art32 scan -c {scan_file}")
    print("Press Ctrl-C to stop the lab.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("Stopping the lab.")


def run_validate_command(arguments: argparse.Namespace) -> int:
    registry = Registry.load()
    config = load_scan_file(arguments.config, registry, arguments.profile)
    units = plan(config, registry)
    print(
        f"{arguments.config}: valid. Profile {config.profile.name!r} selects "
        f"{_count(len(config.profile.check_ids), 'check')}; {_count(len(config.targets), 'target')}; "
        f"{_count(len(units), 'unit')} of work planned."
    )
    for warning in config.profile.warnings:
        print(f"warning: {warning}")
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def run_checks_command(arguments: argparse.Namespace) -> int:
    registry = Registry.load()
    catalogue = registry.catalogue()
    if arguments.format == "json":
        print(json.dumps([meta.to_dict() for meta in catalogue], indent=2))
    elif arguments.format == "markdown":
        print(catalogue_markdown(catalogue), end="")
    else:
        _stdout_console().print(render_catalogue(catalogue))
    return EXIT_OK


def run_permissions_command(arguments: argparse.Namespace) -> int:
    registry = Registry.load()
    profile = load_profile(arguments.profile, registry, Path.cwd())
    selected = [registry.checks[check_id].meta for check_id in profile.check_ids]
    print(render_permissions(selected, arguments.provider), end="")
    return EXIT_OK


def run_explain_command(arguments: argparse.Namespace) -> int:
    registry = Registry.load()
    item = registry.checks.get(arguments.check_id)
    if item is None:
        from scanner.validation import suggest_name

        hint = suggest_name(arguments.check_id, list(registry.checks))
        raise ConfigError("explain", [f"unknown check {arguments.check_id!r}{hint}; "
                                      "`art32 checks` lists them"])
    profiles = [load_profile(name, registry) for name in packaged_profiles()]
    _stdout_console().print(explain_text(item.meta, profiles))
    return EXIT_OK


def _stdout_console() -> Console:
    """Return the console for results; pipes and CI logs get wide lines instead of folded cells."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=PIPE_WIDTH)
    return console


def _scan_with_progress(config: ScanConfig, registry: Registry) -> ScanResult:
    errors = Console(stderr=True)
    if not errors.is_terminal:
        return run_scan(config, registry, ProgressSink())

    from scanner.progress import RichProgress

    with RichProgress(errors) as progress:
        return run_scan(config, registry, progress)


def _emit(
    result: ScanResult,
    formats: Sequence[str],
    output_dir: Path,
    fail_on: Severity,
    show_all: bool = False,
) -> int:
    """Render the result; return EXIT_REPORT_NOT_WRITTEN when a report file fails."""
    if "console" in formats:
        render_console(result, _stdout_console(), fail_on, show_all)
    if "json" in formats:
        if output_dir.exists() and not output_dir.is_dir():
            print(f"art32: error: cannot write the JSON report: {output_dir} is a file, not a directory; "
                  "choose another --output-dir", file=sys.stderr)
            return EXIT_REPORT_NOT_WRITTEN
        try:
            path = write_json_report(result, output_dir)
        except OSError as error:
            print(f"art32: error: cannot write the JSON report to {output_dir}: {error}",
                  file=sys.stderr)
            return EXIT_REPORT_NOT_WRITTEN
        print(f"JSON report: {path}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
