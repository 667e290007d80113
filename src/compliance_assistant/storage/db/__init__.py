"""The application database: SQLAlchemy 2 async models, repositories and migrations.

Use a :class:`Database` per process and one ``async with database.session() as session``
per unit of work; repositories take that session and never commit.
"""

from compliance_assistant.storage.db.api_keys import ApiKeyRecord, api_keys
from compliance_assistant.storage.db.engine import Database, EngineOptions, create_engine
from compliance_assistant.storage.db.feedback import FeedbackRecord, feedback
from compliance_assistant.storage.db.guideline_sets import (
    GuidelineSetRecord,
    VersionConflictError,
    guideline_sets,
)
from compliance_assistant.storage.db.idempotency import IdempotencyRecord, idempotency
from compliance_assistant.storage.db.jobs import JobPage, JobRecord, JobRef, NewJob, jobs
from compliance_assistant.storage.db.migrate import migrate, migrate_sync
from compliance_assistant.storage.db.results import FindingCount, results

__all__ = [
    "ApiKeyRecord",
    "Database",
    "EngineOptions",
    "FeedbackRecord",
    "FindingCount",
    "GuidelineSetRecord",
    "IdempotencyRecord",
    "JobPage",
    "JobRecord",
    "JobRef",
    "NewJob",
    "VersionConflictError",
    "api_keys",
    "create_engine",
    "feedback",
    "guideline_sets",
    "idempotency",
    "jobs",
    "migrate",
    "migrate_sync",
    "results",
]
