"""E-mail addresses. The shape alone is decisive; no context needed."""

from __future__ import annotations

from sandbox.guards.recognizers.base import DanishPatternRecognizer


class DanishEmailRecognizer(DanishPatternRecognizer):
    ENTITY = "EMAIL"
    PATTERNS = (
        ("email", r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])", 1.0),
    )
    EXPLANATIONS = {"email": "e-mailadresse"}
    USES_LABELS = False
