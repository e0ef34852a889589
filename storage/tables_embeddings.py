"""The table of phrasing embeddings (see :class:`bot.core.ports.EmbeddingStore`).

Created by the migration ``0005_embeddings``.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, String
from sqlmodel import Field, SQLModel


class PhrasingEmbeddingRow(SQLModel, table=True):
    """One normalised text's vector under one model (float32 bytes)."""

    __tablename__ = "phrasing_embeddings"

    model_id: str = Field(sa_column=Column(String(120), primary_key=True))
    text_key: str = Field(sa_column=Column(String(64), primary_key=True))
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
