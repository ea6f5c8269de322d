"""The KPIs' compact data, kept in step with the cases: a summary per case (:class:`CaseKpi`)
and the sums of the summaries per permit type and day or month (:class:`KpiSum`).

A case's summary is a list of *facts* ``(figure, day, key, n, total)``: what the case adds to each
sum ("one decision task done, waited 7,200 s, on the day it was submitted"). It is worked out from
the stored rows alone (:func:`summaries_of`), and kept in one place: every flush that touched a
case's rows (the case, its tasks, requests, fields, eligibility result and event, review and
verdicts), and every bulk UPDATE or DELETE of those tables, notes the cases it touched; just before
the transaction commits (or a read of the KPI tables in the same session), those cases' summaries
are worked out again, once each, and the sums move by the difference (:func:`settle_case_kpis`,
:func:`refresh_case_kpis`). The migration that made the tables and the bench seeder, which writes
rows past the ORM, call the same function over every case.

The facts, by figure (``n`` counts; ``total`` sums seconds, or epoch seconds for "open since"):

- ``received``, ``stage`` (key: status), ``turnaround`` (key: whole days), ``decided`` (on the
  day of the decision), ``evaluated`` and ``failed_rule`` (key: rule id);
- ``gate_tasks``, ``gate_done``, ``gate_wait``, ``gate_work``, ``gate_open`` (key: the gate),
  ``request_answered``, ``request_answer``, ``request_open`` (the applicant's gate);
- ``sl_tasks``, ``sl_done``, ``sl_late``, ``sl_open``, ``sl_due`` (key: an open task's due day);
- ``ocr_read``, ``ocr_checked``, ``ocr_corrected`` (key: field);
- ``finding``, ``finding_confirmed``, ``finding_dismissed`` (key: finding code).
"""

from __future__ import annotations

from cases.kpi_summaries.facts import EVALUATED, CaseSummary, Fact, month_of, summaries_of
from cases.kpi_summaries.hooks import (  # and its session hooks, registered
    case_ids_touched,
    settle_case_kpis,
)
from cases.kpi_summaries.sums import refresh_all_case_kpis, refresh_case_kpis

__all__ = [
    "EVALUATED",
    "CaseSummary",
    "Fact",
    "case_ids_touched",
    "month_of",
    "refresh_all_case_kpis",
    "refresh_case_kpis",
    "settle_case_kpis",
    "summaries_of",
]
