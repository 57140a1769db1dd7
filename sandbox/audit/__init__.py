"""The compliance log: every pipeline call recorded, redacted, hash-chained, reviewable.

Compliance staff must be able to see what was sent to the model and what the
guard did, without the log becoming a store of citizens' personal data. So:

* it stores only what the pipeline hands it in a :class:`LogEntry`: the
  redacted text (placeholders) and summaries of findings, never a found value;
* every entry carries the hash of the one before, so an edit, deletion or
  reordering is found by :meth:`AuditLog.verify` (``legeplads log verify``);
* retention (:meth:`AuditLog.purge`) erases old text but keeps the chain
  verifiable; :meth:`AuditLog.export` answers reviews and access requests.

Modules: :mod:`~sandbox.audit.entry` (what an entry holds),
:mod:`~sandbox.audit.schema` (tables and migrations),
:mod:`~sandbox.audit.chain` (hashes and verification),
:mod:`~sandbox.audit.store` (the SQLite file), :mod:`~sandbox.audit.export`,
:mod:`~sandbox.audit.labels` (the Danish words for its codes) and
:mod:`~sandbox.audit.text` (what a person reads).
"""

from sandbox.audit.chain import Verification
from sandbox.audit.entry import DECISIONS, LogEntry
from sandbox.audit.labels import DECISION_LABELS
from sandbox.audit.store import AuditLog

__all__ = ["AuditLog", "DECISIONS", "DECISION_LABELS", "LogEntry", "Verification"]
