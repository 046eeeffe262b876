"""Benchmark: business-time arithmetic on a US calendar with holidays (run by hand).

Times 10,000 ``add(start, 10 business days)`` and 10,000 ``elapsed_minutes`` over two weeks,
after the calendar's yearly index is built.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from leadsync.connector.calendar import BusinessCalendar, Duration

WEEKDAYS = {day: ["09:00-12:00", "13:00-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")}


def main() -> None:
    calendar = BusinessCalendar("us", "America/New_York", WEEKDAYS, holidays_country="US")
    zone = ZoneInfo("America/New_York")
    starts = [datetime(2026, 1, 5, 8, tzinfo=zone) + timedelta(minutes=97 * i)
              for i in range(10_000)]
    calendar.add(starts[0], Duration(days=10))  # builds the yearly index
    began = time.perf_counter()
    for start in starts:
        calendar.add(start, Duration(days=10))
    added = time.perf_counter() - began
    began = time.perf_counter()
    for start in starts:
        calendar.elapsed_minutes(start, start + timedelta(days=14))
    measured = time.perf_counter() - began
    print(f"10,000 add(start, 10 business days): {added:.3f} s ({added * 100:.1f} µs each)")
    print(f"10,000 elapsed_minutes over 14 days: {measured:.3f} s "
          f"({measured * 100:.1f} µs each)")


if __name__ == "__main__":
    main()
