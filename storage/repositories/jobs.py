"""``JobRunRepository`` over the ``job_runs`` table (see :mod:`storage.tables_jobs`).

A claim is an insert of the unique ``(job, key)`` pair inside a savepoint: exactly one unit of
work wins it, in whichever process. The claim becomes visible to the others when its unit of work
commits, so a job that claims and queues its messages in one unit of work does its work once or not
at all; a job that claims first and finishes later (a recap, whose chart takes a moment) commits the
claim at once and calls :meth:`SqlJobRunRepository.finish` at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from storage.repositories.base import UnitOfWorkState
from storage.tables import as_utc
from storage.tables_jobs import JobRunRow

_CHUNK = 500
LEASE_JOB = "lease"


class SqlJobRunRepository:
    """Claims of scheduled work, once per ``(job, key)`` across processes."""

    def __init__(self, uow: UnitOfWorkState):
        self._uow = uow

    @property
    def _session(self) -> Session:
        return self._uow.session

    def _row(self, job: str, key: str) -> JobRunRow | None:
        self._uow.sync()
        stmt = select(JobRunRow).where(JobRunRow.job == job, JobRunRow.key == key).limit(1)
        return self._session.scalars(stmt).first()

    def claim(
        self,
        job: str,
        key: str,
        now: datetime,
        *,
        owner: str = "",
        stale_after: timedelta | None = None,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """Take ``(job, key)``; True only for the one caller that won it.

        When ``stale_after`` is given, a claim that was never finished and is older than that is
        taken over (its process died half-way).
        """
        now_utc = as_utc(now)
        assert now_utc is not None
        self._uow.sync()
        try:
            with self._session.begin_nested():
                self._session.add(
                    JobRunRow(
                        job=job, key=key, claimed_by=owner, claimed_at=now_utc, detail=dict(detail or {})
                    )
                )
                self._session.flush()
            return True
        except IntegrityError:
            pass
        if stale_after is None:
            return False
        stmt = (
            update(JobRunRow)
            .where(
                and_(
                    col(JobRunRow.job) == job,
                    col(JobRunRow.key) == key,
                    col(JobRunRow.done_at).is_(None),
                    col(JobRunRow.claimed_at) < now_utc - stale_after,
                )
            )
            .values(claimed_at=now_utc, claimed_by=owner)
            .execution_options(synchronize_session=False)
        )
        with self._session.begin_nested():
            won = self._session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]
        return won

    def hold_lease(self, name: str, holder: str, now: datetime, seconds: float) -> bool:
        """Take or renew the lease ``name`` for ``seconds``; True when ``holder`` holds it now.

        A lease is a ``job_runs`` row of job ``lease``: its holder and when it last renewed. Another
        holder gets it only once it was not renewed for ``seconds`` (its process died)."""
        now_utc = as_utc(now)
        assert now_utc is not None
        self._uow.sync()
        stmt = (
            update(JobRunRow)
            .where(
                and_(
                    col(JobRunRow.job) == LEASE_JOB,
                    col(JobRunRow.key) == name,
                    or_(
                        col(JobRunRow.claimed_by) == holder,
                        col(JobRunRow.claimed_at) < now_utc - timedelta(seconds=seconds),
                    ),
                )
            )
            .values(claimed_at=now_utc, claimed_by=holder)
            .execution_options(synchronize_session=False)
        )
        with self._session.begin_nested():
            if self._session.execute(stmt).rowcount == 1:  # type: ignore[attr-defined]
                return True
        return self.claim(LEASE_JOB, name, now, owner=holder)

    def drop_lease(self, name: str, holder: str) -> None:
        """Give the lease ``name`` up at once if ``holder`` holds it (a clean shutdown)."""
        row = self._row(LEASE_JOB, name)
        if row is not None and row.claimed_by == holder:
            self._session.delete(row)
            self._session.flush()

    def finish(self, job: str, key: str, now: datetime, detail: dict[str, Any] | None = None) -> None:
        """Mark ``(job, key)`` done (claiming it first if nobody had)."""
        row = self._row(job, key)
        if row is None:
            row = JobRunRow(job=job, key=key, claimed_at=as_utc(now))
            self._session.add(row)
        row.done_at = as_utc(now)
        if detail:
            row.detail = {**(row.detail or {}), **detail}
        self._session.flush()

    def release(self, job: str, key: str) -> None:
        """Forget an unfinished claim (the work failed and may be tried again)."""
        row = self._row(job, key)
        if row is not None and row.done_at is None:
            self._session.delete(row)
            self._session.flush()

    def claimed_at(self, job: str, key: str) -> datetime | None:
        """When ``(job, key)`` was claimed (None when it never was)."""
        row = self._row(job, key)
        return None if row is None else as_utc(row.claimed_at)

    def is_done(self, job: str, key: str) -> bool:
        """Whether ``(job, key)`` was finished."""
        row = self._row(job, key)
        return row is not None and row.done_at is not None

    def claimed_keys(self, job: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are claimed (done or not) for ``job``."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        self._uow.sync()
        for i in range(0, len(wanted), _CHUNK):
            chunk = wanted[i : i + _CHUNK]
            stmt = select(JobRunRow.key).where(JobRunRow.job == job, col(JobRunRow.key).in_(chunk))
            found.update(self._session.scalars(stmt).all())
        return found
