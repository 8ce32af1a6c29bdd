"""A deterministic demo province: a zero-waste park in Tongren (5206) and a small second park.

Modelled on Dalong Economic Development Zone: 56 waste-generating enterprises, among them a manganese
slag processor, a lithium battery recycler, a cement plant using slag, a hospital, a centralized
hazardous waste disposer with licences covering its codes and a licensed carrier. Loading is
idempotent: rows are matched by credit code, username or permit number and brought up to date.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import (
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
    User,
    WasteCategory,
    WasteCode,
)
from .rules import ManagementClass, credit_code_check_character

DEMO_PASSWORD = "wasteparks-demo"
MAIN_PARK = "铜仁大龙经济开发区"
SECOND_PARK = "贵阳经济技术开发区"
# Across the provincial border from Tongren: the receiver of the park's cross-province shipments. Huaihua's
# code is GB/T 2260 (431200, 怀化市); the Guizhou list in registry/reference does not carry other provinces.
NEIGHBOUR_DIVISION = ("4312", "怀化市", "Huaihua", "43")
NEIGHBOUR_PARK = "怀化高新技术产业开发区"
NEIGHBOUR_RECEIVER = ("hn_metal", "湖南怀化有色金属循环利用有限公司", "C4220")
# Illustrative positions, not surveyed: a point near each park (Dalong Economic Development Zone near Tongren, the
# Guiyang Economic Development Zone, Huaihua's high-tech zone), its enterprises on a grid around it in the order
# they are loaded, so that distances (transport CO2e, the journey warnings, the utilizers' distance) have
# something to measure.
PARK_POSITIONS = {
    MAIN_PARK: (Decimal("27.200000"), Decimal("109.000000")),
    SECOND_PARK: (Decimal("26.500000"), Decimal("106.700000")),
    NEIGHBOUR_PARK: (Decimal("27.550000"), Decimal("109.950000")),
}
GRID_STEP = Decimal("0.005")  # degrees: about 0.55 km north-south, 0.5 km east-west at these latitudes
GRID_COLUMNS = 8
# The lithium battery recycler's operating licence runs out within the month (PERMIT_EXPIRING).
EXPIRING_PERMIT = "GZ-HW-520600-002"


def demo_credit_code(serial: int, *, institution: bool = False, city: str = "5206") -> str:
    # 91 = enterprise registered with market regulation; 12 = public institution (a hospital).
    first_seventeen = f"{'12' if institution else '91'}{city}00{serial:09d}"
    return first_seventeen + credit_code_check_character(first_seventeen)


@dataclass(frozen=True)
class DemoEnterprise:
    key: str
    name: str
    industry: str
    roles: tuple[str, ...] = ("generator",)
    management_class: str = ManagementClass.SIMPLIFIED
    status: str = EnterpriseStatus.ACTIVE
    storage_t: Decimal = Decimal("200")
    installation: tuple[str, Decimal] | None = None  # (kind, annual capacity t)
    institution: bool = False


SPECIAL = [
    DemoEnterprise(
        "mn_slag",
        "贵州大龙锰渣综合利用有限公司",
        "C4220",
        ("generator", "receiver"),
        ManagementClass.KEY,
        storage_t=Decimal("5000"),
        installation=(FacilityKind.UTILIZATION, Decimal("300000")),
    ),
    DemoEnterprise(
        "li_battery",
        "贵州大龙锂电池回收科技有限公司",
        "C4210",
        ("generator", "receiver"),
        ManagementClass.KEY,
        storage_t=Decimal("800"),
        installation=(FacilityKind.UTILIZATION, Decimal("20000")),
    ),
    DemoEnterprise(
        "cement",
        "铜仁大龙水泥有限公司",
        "C3011",
        ("generator", "receiver"),
        ManagementClass.KEY,
        storage_t=Decimal("10000"),
        installation=(FacilityKind.UTILIZATION, Decimal("500000")),
    ),
    DemoEnterprise(
        "hospital",
        "铜仁市人民医院大龙院区",
        "Q8411",
        ("generator",),
        ManagementClass.SIMPLIFIED,
        storage_t=Decimal("5"),
        institution=True,
    ),
    DemoEnterprise(
        "disposer",
        "贵州铜仁危险废物集中处置中心",
        "N7724",
        ("receiver",),
        ManagementClass.KEY,
        storage_t=Decimal("3000"),
        installation=(FacilityKind.DISPOSAL, Decimal("30000")),
    ),
    DemoEnterprise(
        "carrier",
        "铜仁安达危险货物运输有限公司",
        "G5430",
        ("carrier",),
        ManagementClass.REGISTRATION,
        storage_t=Decimal("0"),
    ),
    DemoEnterprise(
        "power", "贵州大龙发电有限公司", "D4411", ("generator",), ManagementClass.KEY, storage_t=Decimal("20000")
    ),
    DemoEnterprise(
        "mn_metal", "贵州大龙电解锰有限公司", "C3240", ("generator",), ManagementClass.KEY, storage_t=Decimal("50000")
    ),
]

# Ordinary manufacturers: name, GB/T 4754 industry. Three still wait for verification, one is suspended.
MANUFACTURERS = [
    ("贵州大龙新能源材料有限公司", "C3985"),
    ("铜仁大龙精细化工有限公司", "C2661"),
    ("贵州大龙铝业有限公司", "C3216"),
    ("大龙汽车零部件制造有限公司", "C3670"),
    ("贵州大龙电子材料有限公司", "C3985"),
    ("铜仁大龙包装材料有限公司", "C2231"),
    ("贵州大龙新型建材有限公司", "C3021"),
    ("大龙机械制造有限公司", "C3431"),
    ("贵州大龙涂料有限公司", "C2641"),
    ("铜仁大龙五金制品有限公司", "C3389"),
    ("贵州大龙塑料制品有限公司", "C2929"),
    ("大龙食品加工有限公司", "C1391"),
    ("贵州大龙纺织有限公司", "C1713"),
    ("铜仁大龙印刷有限公司", "C2319"),
    ("贵州大龙家具制造有限公司", "C2110"),
    ("大龙钢结构有限公司", "C3311"),
    ("贵州大龙玻璃制品有限公司", "C3049"),
    ("铜仁大龙橡胶制品有限公司", "C2911"),
    ("贵州大龙医药有限公司", "C2720"),
    ("大龙农用化学品有限公司", "C2631"),
    ("贵州大龙电池材料有限公司", "C3841"),
    ("铜仁大龙线缆有限公司", "C3831"),
    ("贵州大龙陶瓷有限公司", "C3071"),
    ("大龙智能装备有限公司", "C3490"),
    ("贵州大龙光伏材料有限公司", "C3825"),
    ("铜仁大龙环保科技有限公司", "C3591"),
    ("贵州大龙木业有限公司", "C2021"),
    ("大龙饲料有限公司", "C1320"),
    ("贵州大龙锌业有限公司", "C3212"),
    ("铜仁大龙耐火材料有限公司", "C3089"),
    ("贵州大龙混凝土有限公司", "C3021"),
    ("大龙电机有限公司", "C3811"),
    ("贵州大龙仪表有限公司", "C4011"),
    ("铜仁大龙日化有限公司", "C2681"),
    ("贵州大龙酒业有限公司", "C1512"),
    ("大龙服装有限公司", "C1810"),
    ("贵州大龙纸业有限公司", "C2221"),
    ("铜仁大龙轴承有限公司", "C3451"),
    ("贵州大龙硅材料有限公司", "C3099"),
    ("大龙物流装备有限公司", "C3434"),
    ("贵州大龙焊材有限公司", "C3399"),
    ("铜仁大龙电镀有限公司", "C3360"),
    ("贵州大龙矿山机械有限公司", "C3511"),
    ("大龙阀门有限公司", "C3443"),
    ("贵州大龙石墨有限公司", "C3091"),
    ("铜仁大龙管业有限公司", "C2922"),
    ("贵州大龙磁材有限公司", "C3985"),
    ("大龙铸造有限公司", "C3391"),
]
PENDING = {"贵州大龙石墨有限公司", "铜仁大龙管业有限公司", "贵州大龙磁材有限公司"}
SUSPENDED = {"大龙铸造有限公司"}

SECOND_PARK_ENTERPRISES = [
    ("贵阳经开区精密制造有限公司", "C3484"),
    ("贵阳经开区化工有限公司", "C2614"),
    ("贵阳经开区再生资源有限公司", "C4220"),
    ("贵阳经开区电子有限公司", "C3971"),
]

# Licences: (holder key, kind, number, [(code or category, method, annual t)]).
PERMITS = [
    (
        "disposer",
        PermitKind.HAZARDOUS_OPERATING,
        "GZ-HW-520600-001",
        [
            ("HW06", "D10", "3000"),
            ("HW08", "D10", "5000"),
            ("HW08", "R9", "3000"),
            ("HW09", "D9", "2000"),
            ("HW11", "D10", "2000"),
            ("HW12", "D10", "3000"),
            ("HW17", "D9", "2000"),
            ("HW18", "D1", "8000"),
            ("HW29", "D9", "200"),
            ("HW49", "D10", "6000"),
            ("HW50", "D1", "1000"),
        ],
    ),
    ("disposer", PermitKind.MEDICAL_DISPOSAL, "GZ-YF-520600-001", [("HW01", "D10", "3000")]),
    (
        "li_battery",
        PermitKind.HAZARDOUS_OPERATING,
        "GZ-HW-520600-002",
        [
            # Sized so that the lead-acid batteries the park sends pass the licensed scale late in the year.
            ("HW31", "R4", "600"),
            ("900-045-49", "R4", "5000"),
        ],
    ),
    (
        "cement",
        PermitKind.HAZARDOUS_OPERATING,
        "GZ-HW-520600-003",
        [
            ("772-002-18", "C1", "30000"),
            ("HW17", "C1", "5000"),
        ],
    ),
    ("carrier", PermitKind.ROAD_TRANSPORT, "黔交运管许可铜字520600001", []),
    ("hn_metal", PermitKind.HAZARDOUS_OPERATING, "HN-HW-431200-018", [("HW17", "R4", "20000")]),
]

# username, full name, (enterprise key and role) or (officer role and park), email
PERSONAS = [
    ("officer", "李明（园区执法）", ("park_officer", MAIN_PARK)),
    ("officer_gy", "王芳（贵阳经开区执法）", ("park_officer", SECOND_PARK)),
    ("province", "陈静（省厅）", ("provincial_officer", "52")),
    ("preparer", "刘洋（电解锰 填报员）", ("mn_metal", "preparer")),
    ("hospital", "赵敏（医院 填报员）", ("hospital", "preparer")),
    ("driver", "孙强（运输 驾驶员）", ("carrier", "driver")),
    ("receiver", "周丽（处置中心 填报员）", ("disposer", "preparer")),
    ("recycler", "吴刚（锰渣利用 管理员）", ("mn_slag", "admin")),
]


def demo_position(park_name: str, index: int) -> tuple[Decimal, Decimal]:
    """(latitude, longitude) of the park's `index`-th enterprise: at most a few km from the park's point."""
    latitude, longitude = PARK_POSITIONS[park_name]
    row, column = divmod(index, GRID_COLUMNS)
    return latitude + row * GRID_STEP, longitude + column * GRID_STEP


def _coverage(entry: str) -> dict:
    if WasteCategory.objects.filter(code=entry).exists():
        return {"category": WasteCategory.objects.get(code=entry), "waste_code": None}
    return {"waste_code": WasteCode.objects.get(code=entry), "category": None}


def _demo_names_by_key() -> dict[str, tuple[str, str]]:
    """Key → (credit code, name) of every demo enterprise."""
    specs = [
        *SPECIAL,
        *(DemoEnterprise(f"m{index}", name, industry) for index, (name, industry) in enumerate(MANUFACTURERS)),
    ]
    known = {
        spec.key: (demo_credit_code(serial, institution=spec.institution), spec.name)
        for serial, spec in enumerate(specs, start=1)
    }
    for index, (name, _industry) in enumerate(SECOND_PARK_ENTERPRISES, start=1):
        known[f"gy{index}"] = (demo_credit_code(index, city="5201"), name)
    known[NEIGHBOUR_RECEIVER[0]] = (demo_credit_code(1, city="4312"), NEIGHBOUR_RECEIVER[1])
    return known


def demo_names_by_credit_code() -> dict[str, str]:
    """The credit codes and names the demo gives its enterprises: any other enterprise is real data."""
    return dict(_demo_names_by_key().values())


def demo_enterprises() -> dict[str, Enterprise]:
    """The demo's enterprises by their key in this module (matched by credit code, as loading does)."""
    keys = {code: key for key, (code, _name) in _demo_names_by_key().items()}
    return {keys[e.credit_code]: e for e in Enterprise.objects.filter(credit_code__in=keys).select_related("park")}


@transaction.atomic
def load_demo(*, today: date | None = None) -> dict[str, int]:
    """The parks, enterprises, licences and logins. Licences run from January two years before `today`
    (the start of the demo's activity) for five years; one runs out 20 days after `today`."""
    today = today or timezone.localdate()
    tongren, guiyang = Division.objects.get(code="5206"), Division.objects.get(code="5201")
    main, _ = Park.objects.update_or_create(
        name=MAIN_PARK, defaults={"division": tongren, "utilization_target_pct": Decimal("80")}
    )
    second, _ = Park.objects.update_or_create(
        name=SECOND_PARK, defaults={"division": guiyang, "utilization_target_pct": Decimal("75")}
    )

    enterprises: dict[str, Enterprise] = {}
    specs = list(SPECIAL) + [
        DemoEnterprise(
            f"m{index}",
            name,
            industry,
            status=EnterpriseStatus.PENDING
            if name in PENDING
            else EnterpriseStatus.SUSPENDED
            if name in SUSPENDED
            else EnterpriseStatus.ACTIVE,
            management_class=(ManagementClass.KEY, ManagementClass.SIMPLIFIED, ManagementClass.REGISTRATION)[index % 3],
            storage_t=Decimal(50 + 25 * (index % 8)),
        )
        for index, (name, industry) in enumerate(MANUFACTURERS)
    ]
    for serial, spec in enumerate(specs, start=1):
        enterprises[spec.key] = _upsert_enterprise(
            spec, main, demo_credit_code(serial, institution=spec.institution), position=serial - 1
        )
    for index, (name, industry) in enumerate(SECOND_PARK_ENTERPRISES, start=1):
        spec = DemoEnterprise(f"gy{index}", name, industry, ("generator", "receiver") if index == 3 else ("generator",))
        enterprises[spec.key] = _upsert_enterprise(
            spec, second, demo_credit_code(index, city="5201"), position=index - 1
        )
    code, name_zh, name_en, province = NEIGHBOUR_DIVISION
    huaihua, _ = Division.objects.get_or_create(
        code=code, defaults={"name_zh": name_zh, "name_en": name_en, "province_code": province}
    )
    neighbour, _ = Park.objects.update_or_create(
        name=NEIGHBOUR_PARK, defaults={"division": huaihua, "utilization_target_pct": Decimal("75")}
    )
    key, name, industry = NEIGHBOUR_RECEIVER
    spec = DemoEnterprise(
        key,
        name,
        industry,
        ("receiver",),
        ManagementClass.KEY,
        installation=(FacilityKind.UTILIZATION, Decimal("30000")),
    )
    enterprises[key] = _upsert_enterprise(spec, neighbour, demo_credit_code(1, city="4312"), position=0)

    for holder, kind, number, lines in PERMITS:
        permit, _ = Permit.objects.update_or_create(
            kind=kind,
            number=number,
            defaults={
                "enterprise": enterprises[holder],
                "issuer": "铜仁市交通运输局"
                if kind == PermitKind.ROAD_TRANSPORT
                else "湖南省生态环境厅"
                if holder == "hn_metal"
                else "贵州省生态环境厅",
                "valid_from": date(today.year - 2, 1, 1),
                "valid_to": today + timedelta(days=20) if number == EXPIRING_PERMIT else date(today.year + 2, 12, 31),
                "covers_collection": kind != PermitKind.ROAD_TRANSPORT,
                "covers_storage": kind != PermitKind.ROAD_TRANSPORT,
                "covers_utilization": holder in ("li_battery", "cement", "hn_metal"),
                "covers_disposal": holder == "disposer",
            },
        )
        permit.lines.all().delete()
        PermitLine.objects.bulk_create(
            PermitLine(
                permit=permit,
                method=ManagementMethod.objects.get(code=method),
                annual_capacity_t=Decimal(capacity),
                **_coverage(entry),
            )
            for entry, method, capacity in lines
        )

    parks = {MAIN_PARK: main, SECOND_PARK: second}
    for username, full_name, (first, second_part) in PERSONAS:
        user, created = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
        if created:
            user.email = f"{username}@demo.wasteparks.cn"
            user.set_password(DEMO_PASSWORD)
            user.save()
        if first == "park_officer":
            JurisdictionMembership.objects.get_or_create(user=user, role=OfficerRole.PARK, park=parks[second_part])
        elif first == "provincial_officer":
            JurisdictionMembership.objects.get_or_create(
                user=user, role=OfficerRole.PROVINCE, park=None, province_code=second_part
            )
        else:
            EnterpriseMembership.objects.update_or_create(
                user=user, enterprise=enterprises[first], defaults={"role": second_part}
            )

    admin, created = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True, "full_name": "系统管理员"}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()

    return {
        "parks": Park.objects.count(),
        "enterprises_in_main_park": main.enterprises.count(),
        "enterprises": Enterprise.objects.count(),
        "permits": Permit.objects.count(),
        "users": User.objects.count(),
    }


def _upsert_enterprise(spec: DemoEnterprise, park: Park, credit_code: str, *, position: int) -> Enterprise:
    latitude, longitude = demo_position(park.name, position)
    enterprise, _ = Enterprise.objects.update_or_create(
        credit_code=credit_code,
        defaults={
            "name": spec.name,
            "park": park,
            "industry_code": spec.industry,
            "address": f"{park.name}{spec.key}路{len(spec.name)}号",
            "latitude": latitude,
            "longitude": longitude,
            "contact_name": "联系人",
            "contact_phone": "0856-3200000",
            "contact_email": f"{spec.key}@demo.wasteparks.cn",
            "is_generator": "generator" in spec.roles,
            "is_carrier": "carrier" in spec.roles,
            "is_receiver": "receiver" in spec.roles,
            "management_class": spec.management_class,
            "status": spec.status,
            "status_reason": "设备检修期间违规贮存，责令整改" if spec.status == EnterpriseStatus.SUSPENDED else "",
        },
    )
    if spec.storage_t:
        # A yard holds general waste only (Facility.may_hold); hazardous waste is kept in a store.
        general = spec.key in ("mn_slag", "cement", "power", "mn_metal")
        Facility.objects.update_or_create(
            enterprise=enterprise,
            name="一般固废堆场" if general else "危废暂存间",
            defaults={
                "kind": FacilityKind.YARD if general else FacilityKind.WAREHOUSE,
                "capacity_t": spec.storage_t,
            },
        )
    if spec.installation:
        kind, capacity = spec.installation
        Facility.objects.update_or_create(
            enterprise=enterprise,
            name="利用装置" if kind == FacilityKind.UTILIZATION else "焚烧处置线",
            defaults={"kind": kind, "capacity_t": capacity},
        )
    return enterprise
