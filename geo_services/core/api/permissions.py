"""DRF permission classes by role. Each view names the roles that may use it."""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from geo_services.core.roles import Role, has_role


class HasRole(BasePermission):
    """Signed in and holding one of `roles` (set by the subclasses below)."""

    roles: tuple[Role, ...] = ()

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and has_role(request.user, *self.roles))


class IsDispatcherOrAdmin(HasRole):
    roles = (Role.DISPATCHER, Role.ADMIN)


class IsStaff(HasRole):
    """Dispatchers, inspectors and administrators (what each sees is scoped by the selectors)."""

    roles = (Role.DISPATCHER, Role.INSPECTOR, Role.ADMIN)
