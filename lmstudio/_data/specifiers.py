"""Model specifiers: how a request names the model it is for."""

from __future__ import annotations

from typing import TypeAlias

from .._protocol.models import (
    ModelQuery,
    ModelSpecifier,
    ModelSpecifierInstanceReference,
    ModelSpecifierQuery,
)
from ..errors import LMStudioValueError

__all__ = ["ModelSpecifierInput", "model_specifier"]

ModelSpecifierInput: TypeAlias = str | ModelSpecifier
"""A model instance identifier (or key), or a protocol ``ModelSpecifier``."""


def model_specifier(model: ModelSpecifierInput) -> ModelSpecifier:
    """The ``modelSpecifier`` for an identifier (a query, as the official SDK sends)."""
    if isinstance(model, ModelSpecifierQuery | ModelSpecifierInstanceReference):
        return model
    if not isinstance(model, str) or not model:
        raise LMStudioValueError(f"Expected a model identifier, got {model!r}")
    return ModelSpecifierQuery(query=ModelQuery(identifier=model))
