"""The append-only audit log: who did what, in which tenant, when (docs/security.md).

Write with :func:`compliance_assistant.audit.log.record`; read and purge through
:mod:`compliance_assistant.audit.repository`; admins read it at ``GET /api/v1/audit``.
"""
