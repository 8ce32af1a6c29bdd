"""factory_boy factories for the registry. Credit codes are generated with a correct check character."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from registry.models import (
    Division,
    Enterprise,
    EnterpriseMembership,
    EnterpriseStatus,
    Facility,
    FacilityKind,
    JurisdictionMembership,
    ManagementMethod,
    OfficerRole,
    Park,
    Permit,
    PermitKind,
    PermitLine,
    TransferApproval,
    User,
    WasteCode,
)
from registry.rules import ManagementClass, credit_code_check_character


def credit_code(serial: int, prefix: str = "91520600") -> str:
    """A valid 18-character unified social credit code, distinct for each serial."""
    first_seventeen = f"{prefix}{serial:09d}"
    return first_seventeen + credit_code_check_character(first_seventeen)


def division(code: str = "5206") -> Division:
    return Division.objects.get(code=code)


def waste_code(code: str) -> WasteCode:
    return WasteCode.objects.get(code=code)


def method(code: str) -> ManagementMethod:
    return ManagementMethod.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.cn")
    password = factory.django.Password("correct-horse-battery")


class ParkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Park

    name = factory.Sequence(lambda n: f"Park {n}")
    division = factory.LazyFunction(lambda: division("5206"))
    utilization_target_pct = Decimal("80")


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    credit_code = factory.Sequence(lambda n: credit_code(n + 1))
    name = factory.Sequence(lambda n: f"Enterprise {n}")
    park = factory.SubFactory(ParkFactory)
    industry_code = "C3011"
    contact_name = "张伟"
    contact_phone = "0856-5201234"
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.cn")
    status = EnterpriseStatus.ACTIVE
    is_generator = True
    # Key supervised: it files a report every month, the duty most tests exercise (registry.rules.CLASSES_OWING).
    management_class = ManagementClass.KEY


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    kind = FacilityKind.WAREHOUSE
    capacity_t = Decimal("500")


class PermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Permit

    enterprise = factory.SubFactory(EnterpriseFactory, is_receiver=True)
    kind = PermitKind.HAZARDOUS_OPERATING
    number = factory.Sequence(lambda n: f"GZ-HW-{n:05d}")
    issuer = "贵州省生态环境厅"
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    valid_to = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=4 * 365))
    covers_storage = True
    covers_utilization = True
    covers_disposal = True


class PermitLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PermitLine

    permit = factory.SubFactory(PermitFactory)
    waste_code = factory.LazyFunction(lambda: waste_code("900-249-08"))
    method = factory.LazyFunction(lambda: method("R9"))
    annual_capacity_t = Decimal("1000")


class TransferApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TransferApproval

    number = factory.Sequence(lambda n: f"KSZY-{n:05d}")
    consignor = factory.SubFactory(EnterpriseFactory)
    receiver = factory.SubFactory(EnterpriseFactory, is_receiver=True)
    waste_code = factory.LazyFunction(lambda: waste_code("900-249-08"))
    approved_quantity_t = Decimal("100")
    valid_from = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    valid_to = factory.LazyFunction(lambda: date.today() + timedelta(days=300))
    issuer = "贵州省生态环境厅"


def member(user: User, enterprise: Enterprise, role: str = "preparer") -> User:
    EnterpriseMembership.objects.create(user=user, enterprise=enterprise, role=role)
    return user


def park_officer(user: User, park: Park) -> User:
    JurisdictionMembership.objects.create(user=user, role=OfficerRole.PARK, park=park)
    return user


def provincial_officer(user: User, province_code: str = "52") -> User:
    JurisdictionMembership.objects.create(user=user, role=OfficerRole.PROVINCE, province_code=province_code)
    return user
