"""The Danish PII guard: nothing personal reaches the model or the log.

``Guard.check`` finds personal data in Danish text with Presidio and Danish
recognizers, applies a :class:`GuardPolicy` and replaces each value with a
typed, numbered placeholder from the session's :class:`Vault`.
"""

from sandbox.guards.guard import Guard
from sandbox.guards.policy import GuardPolicy
from sandbox.guards.redaction import Vault
from sandbox.guards.result import ENTITY_TYPES, Art9Warning, Entity, GuardResult

__all__ = ["ENTITY_TYPES", "Art9Warning", "Entity", "Guard", "GuardPolicy", "GuardResult", "Vault"]
