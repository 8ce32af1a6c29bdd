"""Who may see what: the one tenancy mechanism every queryset's visible_to(user) goes through.

A user's Scope is read once (two small queries) and kept on the user object for the request. Querysets
turn it into a Q over their own path to the park and to the enterprise, so a model only has to say how
it reaches those two.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q

from wasteparks.errors import NotPermitted
from wasteparks.lookups import IdArray

_CACHE_ATTRIBUTE = "_wasteparks_scope"
NOTHING = Q(pk__in=[])
# Up to this many enterprises, an officer's jurisdiction is written into queries as a list of ids rather
# than as a subquery: PostgreSQL estimates `consignor_id IN (1, 2, ...)` from its statistics, but not a
# subquery inside an OR, and with the wrong estimate it reads a park's whole history to show one page of
# it (bench/RESULTS.md, B5). A province has too many enterprises to list; it keeps the subquery.
LISTED_ENTERPRISES_MAX = 2000


def among(path: str, enterprises) -> Q:
    """Rows whose enterprise at `path` is one of `enterprises`: a list of ids (sent to PostgreSQL as one
    array by the `any_of` lookup, wasteparks/lookups.py) or a queryset of enterprise ids (a subquery)."""
    if isinstance(enterprises, list):
        return Q(**{f"{path}__any_of": IdArray(enterprises)})
    return Q(**{f"{path}__in": enterprises})


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    read_only: bool = False
    province_codes: frozenset[str] = frozenset()
    park_ids: frozenset[int] = frozenset()  # parks this user supervises as an officer
    enterprise_roles: dict[int, frozenset[str]] = field(default_factory=dict)  # enterprise id -> roles
    member_park_ids: frozenset[int] = frozenset()  # parks its own enterprises belong to
    carrier_ids: frozenset[int] = frozenset()  # its own enterprises that hold the carrier role

    @property
    def enterprise_ids(self) -> frozenset[int]:
        return frozenset(self.enterprise_roles)

    @property
    def is_officer(self) -> bool:
        return bool(self.province_codes or self.park_ids)

    @property
    def sole_park_id(self) -> int | None:
        """The park, when this scope is an officer's of one park and of nothing else (no province, no
        enterprise of their own): a park's rows can then be read through what links them to it."""
        if self.everything or self.province_codes or self.enterprise_roles or len(self.park_ids) != 1:
            return None
        return next(iter(self.park_ids))

    def roles_on(self, enterprise_id: int) -> frozenset[str]:
        return self.enterprise_roles.get(enterprise_id, frozenset())

    def supervises_park(self, park) -> bool:
        """Whether this user has officer powers over `park` (a Park instance): acts on it, not only reads
        it, so a read-only scope (the provincial platform's client) never does."""
        if self.read_only:
            return False
        if self.everything:
            return True
        return park.pk in self.park_ids or park.division.province_code in self.province_codes

    def require_officer_of(self, park, refusal: str) -> None:
        """The one officer check of every service an officer acts through; `refusal` says what for."""
        if not self.supervises_park(park):
            raise NotPermitted(refusal)

    def q(self, *, park: str | None, enterprise: str | None) -> Q:
        """Rows visible in this scope, for a model reaching its Park by `park` and its Enterprise by
        `enterprise` (field paths; "" means the model itself; None means it has no such link)."""
        if self.everything:
            return Q()
        condition = NOTHING
        if park is not None and enterprise and park == f"{enterprise}__park" and self.is_officer:
            # Reach the park through the row's own enterprise column: `consignor_id IN (SELECT id FROM
            # enterprises of the jurisdiction)` can use the foreign-key index, where a join per party
            # (a manifest has three) makes PostgreSQL read every row (bench/RESULTS.md, B5).
            condition |= among(enterprise, self._enterprises_in_jurisdiction())
        elif park is not None:
            prefix = f"{park}__" if park else ""
            if self.province_codes:
                condition |= Q(**{f"{prefix}division__province_code__in": self.province_codes})
            if self.park_ids:
                condition |= Q(**{f"{prefix}pk__in": self.park_ids})
        if enterprise is not None and self.enterprise_roles:
            prefix = f"{enterprise}__" if enterprise else ""
            condition |= Q(**{f"{prefix}pk__in": self.enterprise_ids})
        return condition

    def _enterprises_in_jurisdiction(self):
        from .models import Enterprise

        if not self.province_codes and len(self._park_enterprise_ids) <= LISTED_ENTERPRISES_MAX:
            return self._park_enterprise_ids
        condition = NOTHING
        if self.province_codes:
            condition |= Q(park__division__province_code__in=self.province_codes)
        if self.park_ids:
            condition |= Q(park_id__in=self.park_ids)
        return Enterprise.objects.filter(condition).values("pk")

    @cached_property
    def _park_enterprise_ids(self) -> list[int]:
        """The enterprises of the supervised parks, read once per scope (that is, once per request)."""
        from .models import Enterprise

        return list(Enterprise.objects.filter(park_id__in=self.park_ids).order_by("pk").values_list("pk", flat=True))


ANONYMOUS = Scope()


def scope_of(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = _compute_scope(user)
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def forget_scope(user) -> None:
    """Drop the cached scope after a user's memberships change within the same request."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def _compute_scope(user) -> Scope:
    from .models import ApiClient, ApiScope, EnterpriseMembership, JurisdictionMembership, OfficerRole

    if user.is_superuser:
        return Scope(everything=True)
    if user.is_service_account:
        client = (
            ApiClient.objects.filter(user=user)
            .only("scope", "enterprise_id", "enterprise__park_id")
            .select_related("enterprise")
            .first()
        )
        if client is None:
            return ANONYMOUS
        if client.scope == ApiScope.READ_ALL:
            return Scope(everything=True, read_only=True)
        if client.scope == ApiScope.DEVICE:
            # A device posts its own readings (reporting/api/telemetry.py) and nothing else: it sees nothing.
            return Scope(read_only=True)
        enterprise = client.enterprise
        if enterprise is None:
            # The database refuses an enterprise client without its enterprise
            # (api_client_enterprise_matches_scope); should one appear anyway, it sees nothing.
            return ANONYMOUS
        # An enterprise client acts with an administrator's rights on its own enterprise only, and sees its
        # park as the enterprise's own staff do.
        return Scope(
            enterprise_roles={enterprise.pk: frozenset({"admin"})},
            member_park_ids=frozenset({enterprise.park_id}),
        )

    provinces, parks = set(), set()
    for role, park_id, province in JurisdictionMembership.objects.filter(user=user).values_list(
        "role", "park_id", "province_code"
    ):
        if role == OfficerRole.PROVINCE:
            provinces.add(province)
        else:
            parks.add(park_id)

    roles: dict[int, set[str]] = {}
    member_parks, carriers = set(), set()
    for enterprise_id, role, park_id, is_carrier in EnterpriseMembership.objects.filter(user=user).values_list(
        "enterprise_id", "role", "enterprise__park_id", "enterprise__is_carrier"
    ):
        roles.setdefault(enterprise_id, set()).add(role)
        member_parks.add(park_id)
        if is_carrier:
            carriers.add(enterprise_id)

    return Scope(
        province_codes=frozenset(provinces),
        park_ids=frozenset(parks),
        enterprise_roles={key: frozenset(value) for key, value in roles.items()},
        member_park_ids=frozenset(member_parks),
        carrier_ids=frozenset(carriers),
    )
