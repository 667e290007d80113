"""Who may do what: the one place where roles are decided (docs/decisions/0004-roles.md).

Every ``/api/v1`` operation declares one :class:`Policy` through a dependency from
``api/deps.py`` (``tests/api/test_roles_declared.py`` walks the app's routes to prove it).
``admin`` passes every policy. A policy that touches jobs also says which roles act on every
job of the tenant; the other allowed roles act on their own jobs only (``jobs.user_id``), and
someone else's job answers 404 exactly like another tenant's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compliance_assistant.api.auth import Principal, Role


@dataclass(frozen=True)
class Policy:
    name: str
    roles: frozenset[Role]
    description: str
    # Of ``roles``, those that act on every job of the tenant (admin always does).
    tenant_wide: frozenset[Role] = frozenset()

    def allows(self, principal: Principal) -> bool:
        return principal.has_any(*self.roles)

    def job_owner(self, principal: Principal) -> str | None:
        """None when the principal may act on any job of its tenant, else the user whose
        jobs it may act on."""
        if principal.has_any(*self.tenant_wide):
            return None
        return principal.user_id


def _policy(
    name: str, description: str, *roles: Role, tenant_wide: tuple[Role, ...] = ()
) -> Policy:
    return Policy(name, frozenset(roles), description, frozenset(tenant_wide))


SUBMIT_CHECK = _policy("submit_check", "submit a check", Role.WRITER)
READ_JOBS = _policy(
    "read_jobs",
    "read jobs (writers their own, reviewers the tenant's)",
    Role.WRITER,
    Role.REVIEWER,
    tenant_wide=(Role.REVIEWER,),
)
CANCEL_JOB = _policy("cancel_job", "cancel one's own job (admins any)", Role.WRITER)
GIVE_FEEDBACK = _policy(
    "give_feedback",
    "dismiss or accept findings (writers on their own jobs, reviewers on any)",
    Role.WRITER,
    Role.REVIEWER,
    tenant_wide=(Role.REVIEWER,),
)
ANY_ROLE = _policy(
    "any_role",
    "reads open to every role (guideline sets …)",
    Role.WRITER,
    Role.REVIEWER,
    Role.ADMIN,
)
EDIT_GUIDELINES = _policy("edit_guideline_sets", "create and test guideline sets", Role.ADMIN)
ADMINISTER = _policy(
    "administer", "API keys, cache administration, analytics, audit log", Role.ADMIN
)

POLICIES: tuple[Policy, ...] = (
    SUBMIT_CHECK,
    READ_JOBS,
    CANCEL_JOB,
    GIVE_FEEDBACK,
    ANY_ROLE,
    EDIT_GUIDELINES,
    ADMINISTER,
)


def governing(declared: Iterable[Policy]) -> list[Policy]:
    """The policies that decide an operation: duplicates dropped, and ``ANY_ROLE`` dropped
    beside a stricter one (a router-level dependency may need the caller for other reasons;
    every policy's roles are among ``ANY_ROLE``'s, so it adds nothing there)."""
    unique = list(dict.fromkeys(declared))
    stricter = [p for p in unique if p is not ANY_ROLE]
    return stricter or unique
