"""Tables of the scheduled jobs (recaps, SLA reminders, follow-ups).

``job_runs`` holds one row per piece of work that must happen once across every helpdesk process
sharing the database: a recap period (``recap``, ``day:2026-11-23``), a reminder step
(``sla``, ``remind:42:first_response``). The unique ``(job, key)`` pair is the claim: the process
whose insert wins does the work; ``done_at`` says it finished (a claim left unfinished by a crashed
process may be taken over once it is stale).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.tables import JSON_TYPE, UTCDateTime


class JobRunRow(SQLModel, table=True):
    """One claimed (and possibly finished) piece of scheduled work."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "key", name="uq_job_runs_job_key"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str
    key: str
    claimed_by: str = ""
    claimed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON_TYPE, nullable=False))
