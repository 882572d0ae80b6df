"""The roles of the system, kept as Django groups (created after every migrate)."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User


class Role(StrEnum):
    CITIZEN = "citizen"
    INSPECTOR = "inspector"
    DISPATCHER = "dispatcher"
    PLANNER = "planner"
    ADMIN = "admin"


def roles_of(user: User | AnonymousUser) -> set[Role]:
    """The roles a user holds; a superuser holds the admin role whatever their groups."""
    if not user.is_authenticated:
        return set()
    names = set(user.groups.values_list("name", flat=True))
    roles = {role for role in Role if role.value in names}
    if getattr(user, "is_superuser", False):
        roles.add(Role.ADMIN)
    return roles


def has_role(user: User | AnonymousUser, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def ensure_role_groups(**kwargs: object) -> None:
    """Create the role groups that are missing (run after migrate)."""
    from django.contrib.auth.models import Group

    for role in Role:
        Group.objects.get_or_create(name=role.value)
