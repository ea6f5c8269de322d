"""`permits bench e2e`: a burst of mixed applications run to their first gate by the real services.

Each run starts the services the way `permits up` does (a Prefect server, case-flow runners, OCR
workers) on a new data folder, submits every case at once through the submission path (stored,
committed, then the case's event emitted), and watches each case until it waits on a person.
Stage work is read back from Prefect's own task runs, so the rest of each case's wait is either
queueing for a worker or orchestration. The services themselves are started by the caller
(``cli``), which the workshop may not import.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from cases.catalogue import get_permit_type
from cases.db import read_scope
from cases.intake import Upload, submit_application
from cases.lifecycle import AUTOMATIC_STATUSES, CaseStatus
from cases.models import AuditEvent, Case
from tools.bench import Steps
from tools.bench.timings import percentile
from tools.samples.applications import HANDS, generate_application
from tools.samples.supporting import generate_fire_certificate

__all__ = [
    "FLOW_RUN",
    "CaseTiming",
    "RunReport",
    "StartServices",
    "TaskTiming",
    "mixed_uploads",
    "run_burst",
    "summarise",
]

PERMIT_TYPE = "food-business-licence"
#: How a flow run's timing is named among the task runs' (its run time is not stage work).
FLOW_RUN = "flow:"
#: Starts the services for a data folder and yields the PIDs of their processes by name.
StartServices = Callable[[], AbstractContextManager[Mapping[str, int]]]


@dataclass(frozen=True)
class TaskTiming:
    """One Prefect task run of a case: when it was asked for, started and ended (seconds)."""

    case_id: int
    name: str
    created: float
    started: float
    ended: float


@dataclass
class CaseTiming:
    case_id: int
    submitted: float  # the upload committed and its event emitted (epoch seconds)
    settled: float | None = None  # first seen waiting on a person (or failed)
    failed: bool = False
    tasks: list[TaskTiming] = field(default_factory=list)

    @property
    def latency(self) -> float | None:
        return None if self.settled is None else self.settled - self.submitted

    @property
    def work(self) -> float:
        return sum(t.ended - t.started for t in self.tasks if not t.name.startswith(FLOW_RUN))

    @property
    def queued(self) -> float:
        """Waiting for a free OCR worker: the deferred reading's time between asked and started."""
        return sum(t.started - t.created for t in self.tasks if t.name.startswith("extract"))

    @property
    def to_running(self) -> float | None:
        """From the event to the first flow run running."""
        starts = [t.started for t in self.tasks if t.name.startswith(FLOW_RUN)]
        return min(starts) - self.submitted if starts else None


@dataclass
class RunReport:
    workers: int
    cases: list[CaseTiming]
    peak_rss_mb: dict[str, float]
    #: CPU seconds each service (with its child processes) spent during the burst.
    cpu_s: dict[str, float] = field(default_factory=dict)


def mixed_uploads(count: int, *, seed: int) -> list[list[Upload]]:
    """Typed and handwritten forms in turn, each with its ID copy; every third with a fire
    certificate too, as applications arrive."""
    permit_type = get_permit_type(PERMIT_TYPE)
    labels = {f.name: f.label.en for f in permit_type.permit.fields}
    batches = []
    for i in range(count):
        hand = list(HANDS)[i % len(HANDS)]
        sample = generate_application(permit_type.form, seed + i, labels=labels, hand=hand)
        uploads = [
            Upload(f"form-{seed + i}.png", sample.form_png),
            Upload(f"id-{seed + i}.png", sample.id_card_png),
        ]
        if i % 3 == 2:
            uploads.append(Upload(f"fire-{seed + i}.png", generate_fire_certificate(seed + i).png))
        batches.append(uploads)
    return batches


def _settled(case_ids: Sequence[int]) -> dict[int, bool]:
    """Of these cases, those waiting on a person or whose run failed since they last moved,
    and whether each failed: two queries for all of them, so the bench does not load the
    database it measures."""
    with read_scope() as session:
        cases = session.exec(
            select(Case.id, Case.status, Case.updated_at).where(col(Case.id).in_(case_ids))
        ).all()
        failures = session.exec(
            select(AuditEvent.case_id, AuditEvent.at).where(
                col(AuditEvent.case_id).in_(case_ids), AuditEvent.action == "processing.failed"
            )
        ).all()
    moved = {case_id: updated for case_id, _status, updated in cases}
    found = {
        case_id: True
        for case_id, at in failures
        if case_id is not None and case_id in moved and at >= moved[case_id]
    }
    for case_id, status, _updated in cases:
        if case_id is not None and CaseStatus(status) not in AUTOMATIC_STATUSES:
            found.setdefault(case_id, False)
    return found


def _watch(
    timings: Sequence[CaseTiming],
    timeout: float,
    *,
    poll_s: float = 0.25,
    steps: Steps | None = None,
    what: str = "cases at their first gate",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(t.settled is None for t in timings):
        waiting = {t.case_id: t for t in timings if t.settled is None}
        for case_id, failed in _settled(list(waiting)).items():
            waiting[case_id].settled, waiting[case_id].failed = time.time(), failed
        if steps is not None:
            steps(what, sum(1 for t in timings if t.settled is not None), len(timings))
        time.sleep(poll_s)


def _peak_rss_mb(pids: Mapping[str, int]) -> dict[str, float]:
    """Each service's peak resident memory (VmHWM) so far, in MB; 0 for one already gone."""
    peaks = {}
    for name, pid in pids.items():
        try:
            with open(f"/proc/{pid}/status") as status:
                line = next((x for x in status if x.startswith("VmHWM:")), "VmHWM: 0 kB")
        except OSError:
            line = "VmHWM: 0 kB"
        peaks[name] = round(int(line.split()[1]) / 1024, 1)
    return peaks


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[-1].split()
    except OSError:
        return []


def _cpu_s(pids: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) of each service and its live descendants, and of the
    children it has already reaped."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(int(entry))):
            children.setdefault(int(fields[1]), []).append(int(entry))
    tick = os.sysconf("SC_CLK_TCK")
    totals = {}
    for name, pid in pids.items():
        ticks, todo = 0, [pid]
        while todo:
            current = todo.pop()
            fields = _stat_fields(current)
            if fields:  # utime, stime, cutime, cstime
                ticks += sum(int(x) for x in fields[11:15])
            todo.extend(children.get(current, []))
        totals[name] = ticks / tick
    return totals


def _burst_cpu_s(pids: Mapping[str, int]) -> dict[str, float]:
    """The services' CPU seconds so far, and this process's own (the services are its
    children: counted once, under their names)."""
    own = os.times()
    return {**_cpu_s(pids), "bench": own.user + own.system}


def run_burst(
    start: StartServices,
    batches: Sequence[Sequence[Upload]],
    *,
    workers: int,
    emit: Callable[[int], object],
    read_tasks: Callable[[], Iterator[TaskTiming]],
    timeout: float,
    progress: Callable[[str], object] | None = None,
    steps: Steps | None = None,
    label: str = "",
) -> RunReport:
    """Start the services, submit every case at once, watch them to their first gate (one bar
    per run, named ``label``)."""
    with start() as pids:
        if progress is not None:
            progress(f"  services ready; submitting {len(batches)} applications")
        cpu_before = _burst_cpu_s(pids)
        timings = []
        for uploads in batches:
            case = submit_application(
                uploads, permit_type_id=PERMIT_TYPE, actor="system:bench", channel="bench"
            )
            assert case.id is not None
            emit(case.id)
            timings.append(CaseTiming(case.id, submitted=time.time()))
        _watch(timings, timeout, steps=steps, what=f"{label}cases at their first gate")
        cpu_after = _burst_cpu_s(pids)
        by_case = {t.case_id: t for t in timings}
        for task in read_tasks():
            if task.case_id in by_case:
                by_case[task.case_id].tasks.append(task)
        peaks = _peak_rss_mb({**pids, "bench": os.getpid()})
    cpu = {name: round(cpu_after[name] - cpu_before[name], 1) for name in cpu_after}
    return RunReport(workers, timings, peaks, cpu)


def _cases_per_min(report: RunReport) -> float:
    done = [t for t in report.cases if t.settled is not None]
    if not done:
        return 0.0
    span = max(t.settled or 0 for t in done) - min(t.submitted for t in report.cases)
    return round(len(done) / span * 60, 2) if span > 0 else 0.0


def _ocr_cpu_share(report: RunReport) -> float:
    """The OCR workers' share of all the CPU the burst used (services and bench). On a machine
    with C cores, C single-threaded OCR workers can at best reach C times this share of C
    times one worker's throughput: the rest is what orchestration and the other stages cost."""
    total = sum(report.cpu_s.values())
    ocr = sum(seconds for name, seconds in report.cpu_s.items() if name.startswith("ocr"))
    return round(ocr / total, 3) if total else 0.0


def summarise(report: RunReport, *, one: RunReport, two: RunReport) -> dict[str, Any]:
    """The benchmark's numbers for one run; the same burst on one and on two workers gives the
    scaling figure."""
    done = [t for t in report.cases if t.latency is not None]
    latencies = [t.latency for t in done if t.latency is not None]
    total = sum(latencies)
    work = sum(t.work for t in done)
    queued = sum(t.queued for t in done)
    orchestration = max(0.0, total - work - queued)
    starts = [t.to_running for t in done if t.to_running is not None]
    throughput = _cases_per_min(report)
    single = _cases_per_min(one)
    scaling = round(_cases_per_min(two) / single, 2) if single else 0.0
    return {
        "cases": len(report.cases),
        "workers": report.workers,
        "cases_per_min": throughput,
        "p50_s": round(statistics.median(latencies), 1) if latencies else 0.0,
        "p95_s": round(percentile(latencies, 95), 1) if latencies else 0.0,
        "orchestration_share": round(orchestration / total, 3) if total else 0.0,
        "work_share": round(work / total, 3) if total else 0.0,
        "queue_share": round(queued / total, 3) if total else 0.0,
        "event_to_running_p50_s": round(statistics.median(starts), 2) if starts else 0.0,
        "event_to_running_max_s": round(max(starts), 2) if starts else 0.0,
        "peak_rss_mb": max(report.peak_rss_mb.values(), default=0.0),
        "peak_rss_mb_by_process": report.peak_rss_mb,
        "cpu_s_by_process": report.cpu_s,
        "ocr_cpu_share": _ocr_cpu_share(report),
        "lost": sum(1 for t in report.cases if t.settled is None),
        "failed": sum(1 for t in report.cases if t.failed),
        "scaling_2_workers": scaling,
    }
