"""The org's API request allowance: a daily total, counted per authenticated request.

Salesforce reports usage on every response in ``Sforce-Limit-Info: api-usage=N/M`` and refuses
requests once the allowance is spent with 403 ``REQUEST_LIMIT_EXCEEDED`` ("TotalRequests Limit
exceeded."). The allowance is a rolling 24 hours; the sandbox starts a new window 24 hours after
the first request of the last one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

WINDOW = timedelta(hours=24)
LIMIT_EXCEEDED = "TotalRequests Limit exceeded."
# The same error code for a throttle that passes (too many requests at once), as injected faults
# answer; only the message tells the two apart.
CONCURRENT_LIMIT_EXCEEDED = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."


class ApiUsage:
    """Requests used out of the daily maximum."""

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.used = 0
        self.window_start: datetime | None = None

    def take(self, now: datetime | None = None) -> bool:
        """Count one request; False (and nothing counted) when the allowance is spent."""
        now = now or datetime.now(UTC)
        if self.window_start is None or now - self.window_start >= WINDOW:
            self.window_start, self.used = now, 0
        if self.used >= self.maximum:
            return False
        self.used += 1
        return True

    @property
    def remaining(self) -> int:
        return max(self.maximum - self.used, 0)

    def header(self) -> str:
        return f"api-usage={self.used}/{self.maximum}"

    def limits(self) -> dict[str, Any]:
        """The body of ``GET /limits``, shaped as the REST API documents it."""
        def allowance(maximum: int, remaining: int | None = None) -> dict[str, int]:
            return {"Max": maximum, "Remaining": maximum if remaining is None else remaining}

        return {
            "ConcurrentAsyncGetReportInstances": allowance(200),
            "ConcurrentSyncReportRuns": allowance(20),
            "DailyApiRequests": allowance(self.maximum, self.remaining),
            "DailyAsyncApexExecutions": allowance(250000),
            "DailyBulkApiBatches": allowance(15000),
            "DailyBulkV2QueryFileStorageMB": allowance(976562),
            "DailyBulkV2QueryJobs": allowance(10000),
            "DailyGenericStreamingApiEvents": allowance(10000),
            "DailyStreamingApiEvents": allowance(10000),
            "DataStorageMB": allowance(1024),
            "FileStorageMB": allowance(1024),
            "HourlyTimeBasedWorkflow": allowance(50),
            "MassEmail": allowance(5000),
            "SingleEmail": allowance(5000),
        }

    def dump(self) -> dict[str, Any]:
        return {"maximum": self.maximum, "used": self.used,
                "window_start": self.window_start.isoformat() if self.window_start else None}

    def restore(self, data: dict[str, Any]) -> None:
        self.used = int(data.get("used", 0))
        start = data.get("window_start")
        self.window_start = datetime.fromisoformat(start) if start else None
