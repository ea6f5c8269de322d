"""``permits dropbox``: the scanner drop box, watched (a service of ``permits up``) or scanned once.

The watcher looks through the drop box when it starts (what was dropped while it was down is
processed first), then whenever watchdog reports a change, and every ``dropbox_poll_s`` while
something is still being written (a file settles by time passing, which no event announces).
It also looks once a minute in any case: on a network share, change events can be lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Annotated

import typer
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from cases.catalogue import load_catalogue
from cases.facts import Glossary, render
from cases.intake import (
    DROP_UNKNOWN_PERMIT_TYPE,
    DropItem,
    ReasonLanguage,
    ScanReport,
    StartFlow,
    drop_box_root,
    scan_drop_box,
)
from cases.settings import get_settings
from cli.output import console, err, friendly

__all__ = ["dropbox_app", "watch_drop_box"]

dropbox_app = typer.Typer(
    help="Scanner drop box: <drop>/<permit-type>/incoming/ folders read into cases."
)
log = logging.getLogger("permits.dropbox")
SAFETY_NET_S = 60.0


def _in_chinese(permit_type: str) -> Glossary:
    from web.i18n import glossary_in

    return glossary_in(permit_type, "zh-Hant")


#: A clerk's note beside a rejected file says why in English, then in Traditional Chinese.
REASON_LANGUAGES: tuple[ReasonLanguage, ...] = (_in_chinese,)


def _start_case_flow(case_id: int) -> None:
    from flows.deployments import start_case_flow

    start_case_flow(case_id, reason="submitted")


class _Wake(FileSystemEventHandler):
    def __init__(self, wake: threading.Event) -> None:
        self.wake = wake

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.wake.set()


def _unknown_message(folder: str) -> str:
    return render(DROP_UNKNOWN_PERMIT_TYPE(folder=folder, known=sorted(load_catalogue())))


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def watch_drop_box(*, start_flow: StartFlow | None, stop: threading.Event | None = None) -> None:
    """Process the drop box now and whenever it changes, until ``stop`` is set (or forever)."""
    root = drop_box_root()
    stop = stop or threading.Event()
    failed: dict[Path, float | None] = {}  # tried and failed: not again until it changes
    reported: set[str] = set()
    wake = threading.Event()
    observer = Observer()
    observer.schedule(_Wake(wake), str(root), recursive=True)
    observer.start()
    log.info("drop box: watching %s", root)

    def skip(item: DropItem) -> bool:
        return item.path in failed and failed[item.path] == _mtime(item.path)

    try:
        while True:
            wake.clear()
            report = scan_drop_box(start_flow=start_flow, skip=skip, languages=REASON_LANGUAGES)
            for result in report.results:
                if result.outcome == "failed":
                    permit_type, name = result.item.split("/", 1)
                    path = root / permit_type / "incoming" / name
                    failed[path] = _mtime(path)
            for folder in set(report.unknown_permit_types) - reported:
                log.warning("drop box: %s", _unknown_message(folder))
                reported.add(folder)
            if stop.is_set():
                return
            wait = get_settings().dropbox_poll_s if report.settling else SAFETY_NET_S
            wake.wait(timeout=wait)
    finally:
        observer.stop()
        observer.join()


def _print_report(report: ScanReport) -> None:
    for result in report.results:
        if result.outcome == "processed":
            console.print(f"{result.item}: case {result.reference} (moved to {result.moved_to})")
        elif result.outcome == "failed":
            err.print(f"{result.item}: could not be processed now; it stays in incoming/")
        else:
            console.print(f"{result.item}: {result.outcome}: {render(result.reason)}")
    for path in report.settling:
        console.print(f"{path.parent.parent.name}/{path.name}: still being written; left for later")
    for folder in report.unknown_permit_types:
        err.print(_unknown_message(folder))
    if not report.results and not report.settling:
        console.print(f"nothing to read in {drop_box_root()}")


@dropbox_app.command("scan")
@friendly
def scan(
    start: Annotated[
        bool, typer.Option(help="Start each new case's flow (needs `permits up` running)")
    ] = True,
) -> None:
    """Process what is in the drop box once, then stop."""
    from cases.db import ensure_migrated
    from cli.services import running_services

    ensure_migrated()
    start_flow: StartFlow | None = _start_case_flow if start else None
    if start and running_services() is None:
        err.print(
            "no services are running on this data folder: the cases are created now and their "
            "flows start once `permits up` runs"
        )
        start_flow = None
    _print_report(scan_drop_box(start_flow=start_flow, languages=REASON_LANGUAGES))


@dropbox_app.command("watch")
@friendly
def watch() -> None:
    """Watch the drop box and process each application as it arrives (Ctrl-C stops)."""
    from cases.db import ensure_migrated

    ensure_migrated()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)  # what the drop box did, in the service's log file
    log.setLevel(logging.INFO)
    started = dt.datetime.now(dt.UTC)
    console.print(f"watching {drop_box_root()} (since {started:%H:%M:%S} UTC); Ctrl-C stops")
    try:
        watch_drop_box(start_flow=_start_case_flow)
    except KeyboardInterrupt:
        console.print("stopped")
