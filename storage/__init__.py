"""SQL storage: SQLModel tables, repositories, the unit of work and alembic migrations.

Only the composition root and the CLI import this package; everything else talks to the
``UnitOfWork`` port of :mod:`bot.core.ports`.
"""

from storage.database import current_revision, make_engine, upgrade
from storage.uow import SqlUnitOfWork, sql_uow_factory

__all__ = ["SqlUnitOfWork", "current_revision", "make_engine", "sql_uow_factory", "upgrade"]
