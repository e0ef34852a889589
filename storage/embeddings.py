"""The :class:`bot.core.ports.EmbeddingStore` on the database.

Reads and writes run in their own short transactions, never inside a unit of work: encoding happens
between them, so no transaction waits on the model. Concurrent writers of the same text (two
processes starting at once) are harmless: the row is inserted once and the other insert is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from storage.tables_embeddings import PhrasingEmbeddingRow

CHUNK = 500


class SqlEmbeddingStore:
    """Phrasing embeddings in the ``phrasing_embeddings`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._table = PhrasingEmbeddingRow.__table__  # type: ignore[attr-defined]

    def load(self, model_id: str, keys: Sequence[str]) -> dict[str, bytes]:
        """The stored vectors among ``keys`` for ``model_id``."""
        found: dict[str, bytes] = {}
        t = self._table
        with self._engine.connect() as conn:
            for i in range(0, len(keys), CHUNK):
                chunk = list(keys[i : i + CHUNK])
                rows = conn.execute(
                    select(t.c.text_key, t.c.vector).where(t.c.model_id == model_id, t.c.text_key.in_(chunk))
                )
                found.update({key: bytes(vector) for key, vector in rows})
            conn.rollback()
        return found

    def save(self, model_id: str, vectors: Mapping[str, bytes]) -> None:
        """Store ``vectors`` (texts already stored are left as they are)."""
        items = [{"model_id": model_id, "text_key": k, "vector": v} for k, v in vectors.items()]
        insert = pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        with self._engine.begin() as conn:
            for i in range(0, len(items), CHUNK):
                conn.execute(insert(self._table).on_conflict_do_nothing(), items[i : i + CHUNK])
