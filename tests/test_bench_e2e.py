"""The e2e benchmark's arithmetic: from each case's timings to the figures the issue sets
targets for (a real run takes minutes; `permits bench e2e --cases 10` is the command)."""

from __future__ import annotations

from tools.bench.e2e import FLOW_RUN, CaseTiming, RunReport, TaskTiming, summarise

KEYS = {
    "cases_per_min",
    "p50_s",
    "p95_s",
    "orchestration_share",
    "peak_rss_mb",
    "lost",
    "scaling_2_workers",
}


def _case(case_id: int, submitted: float, latency: float | None, ocr_wait: float) -> CaseTiming:
    """A case whose flow ran 1 s after its event, waited ``ocr_wait`` for the OCR worker, read
    until 4 s into the run, and spent 1 s in its other stages."""
    timing = CaseTiming(case_id, submitted, None if latency is None else submitted + latency)
    start = submitted + 1
    timing.tasks = [
        TaskTiming(case_id, f"{FLOW_RUN}case-{case_id}", submitted, start, start + 9),
        TaskTiming(case_id, f"extract-case-{case_id}", start, start + ocr_wait, start + 4),
        TaskTiming(case_id, f"review-case-{case_id}", start + 5, start + 5, start + 6),
    ]
    return timing


def _report(workers: int, latencies: list[float | None]) -> RunReport:
    cases = [_case(i, 100.0 + i, latency, 0.5) for i, latency in enumerate(latencies)]
    return RunReport(
        workers,
        cases,
        {"ocr-worker": 900.0, "deployments": 200.0},
        cpu_s={"ocr-worker": 30.0, "deployments": 6.0, "prefect-server": 3.0, "bench": 1.0},
    )


def test_the_report_has_the_issue_s_figures() -> None:
    report = _report(2, [10.0, 10.0, 20.0, 30.0])
    one = _report(1, [10.0, 20.0, 30.0, 60.0])

    numbers = summarise(report, one=one, two=report)

    assert set(numbers) >= KEYS
    assert numbers["p50_s"] == 15.0
    assert numbers["p95_s"] == 30.0
    # 4 cases between the first upload (100 s) and the last gate (103 + 30 s): 33 s.
    assert numbers["cases_per_min"] == round(4 / 33 * 60, 2)
    # Each case: 3.5 s reading + 1 s review is work, 0.5 s is waiting for the OCR worker.
    assert numbers["orchestration_share"] == round((70 - 4 * 4.5 - 4 * 0.5) / 70, 3)
    assert numbers["event_to_running_p50_s"] == 1.0
    assert numbers["peak_rss_mb"] == 900.0
    assert numbers["lost"] == 0
    # Of 40 CPU seconds in all, the OCR worker's 30: two cores can give at most 1.5x.
    assert numbers["ocr_cpu_share"] == 0.75
    assert numbers["scaling_2_workers"] == round(numbers["cases_per_min"] / (4 / 63 * 60), 2)


def test_a_case_that_never_reached_its_gate_is_lost_not_averaged() -> None:
    report = _report(1, [10.0, None])
    numbers = summarise(report, one=report, two=report)
    assert numbers["lost"] == 1
    assert numbers["p50_s"] == numbers["p95_s"] == 10.0
    assert numbers["scaling_2_workers"] == 1.0
