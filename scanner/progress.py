"""A rich progress bar on a terminal; nothing at all on a pipe."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scanner.plugin import Unit
from scanner.runner import ProgressSink


class RichProgress(ProgressSink):
    """Show one bar over units of work, with the current step of the latest unit."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("planning", total=None)

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, total_units: int) -> None:
        self._progress.update(self._task, total=total_units, description="scanning")

    def describe(self, unit: Unit, text: str) -> None:
        self._progress.update(self._task, description=f"{unit.key}: {text}")

    def unit_done(self, unit: Unit) -> None:
        self._progress.update(self._task, advance=1, description=f"{unit.key}: done")
