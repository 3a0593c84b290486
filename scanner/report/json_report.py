"""The JSON report: the keys and shapes documented in docs/report.md."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.report.summary import summarise
from scanner.runner import ScanResult

SCHEMA_VERSION = "1.0"


def report_dict(result: ScanResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "art32", "version": __version__},
        "profile": result.profile,
        "started_at": _rfc3339(result.started_at),
        "finished_at": _rfc3339(result.finished_at),
        "complete": result.complete,
        "targets": [t.to_dict() for t in result.targets],
        "summary": summarise(result.findings),
        "warnings": [w.to_dict() for w in result.warnings],
        "findings": [f.to_dict() for f in result.findings],
    }


def write_json_report(result: ScanResult, output_dir: Path) -> Path:
    """Write `report.json` atomically, so a reader never sees half a report."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / "report.json"
    text = json.dumps(report_dict(result), indent=2, ensure_ascii=False) + "\n"
    handle, temporary = tempfile.mkstemp(dir=output_dir, prefix=".report-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
