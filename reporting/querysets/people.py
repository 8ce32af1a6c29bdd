"""People as others may see them: whom a user may look up by the ids rows name (drivers, signers,
assignees, officers).

Composed here, in the last app of the flow, because one of the ways a person becomes visible is being
named as the driver of a manifest (transfers), and registry may not read manifests.
"""

from django.db import models
from django.db.models import Q

from registry.models import ApiClient, Enterprise, EnterpriseMembership, JurisdictionMembership, Park, User
from registry.tenancy import scope_of
from transfers.models import Manifest


class PersonQuerySet(models.QuerySet[User]):
    """A queryset of `registry.models.User`: `PersonQuerySet(model=User)`."""

    def visible_to(self, user):
        """Everyone for a read-everything scope. Otherwise: the staff and API clients of the enterprises
        the user may see, the drivers named on the manifests the user may see, and, for an officer, the
        officers of the parks it supervises and of their provinces (those a warning may be assigned to)."""
        scope = scope_of(user)
        if scope.everything:
            return self.all()
        enterprises = Enterprise.objects.visible_to(user).values("pk")
        condition = (
            Q(pk__in=EnterpriseMembership.objects.filter(enterprise__in=enterprises).values("user_id"))
            | Q(pk__in=ApiClient.objects.filter(enterprise__in=enterprises).values("user_id"))
            | Q(pk__in=Manifest.objects.visible_to(user).filter(driver__isnull=False).values("driver_id"))
        )
        if user is not None and user.is_authenticated:
            condition |= Q(pk=user.pk)
        if scope.is_officer:
            parks = Park.objects.filter(scope.q(park="", enterprise=None))
            officers = JurisdictionMembership.objects.filter(
                Q(park__in=parks.values("pk")) | Q(province_code__in=parks.values("division__province_code"))
            )
            condition |= Q(pk__in=officers.values("user_id"))
        return self.filter(condition)
