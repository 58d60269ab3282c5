"""Demo accounts: one per role, all with the password `minsheng-demo`, only in a demo database.

`minsheng serve` refuses to start while any account still has this password (see has_demo_password).
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction

from minsheng.accounts.models import Membership, Profile
from minsheng.accounts.roles import Role
from minsheng.places.demo import id_number, person_name, phone_number
from minsheng.places.models import Grid, Organisation, Region

DEMO_PASSWORD = "minsheng-demo"  # noqa: S105 - the published demo password
# A fixed salt makes the demo hash recognisable without checking every account's hash.
DEMO_SALT = "minshengdemo"


def demo_hash() -> str:
    return make_password(DEMO_PASSWORD, salt=DEMO_SALT)


# username, role, description, is_staff
ACCOUNTS = [
    ("district", Role.DISTRICT_ADMIN, "区级管理员（安次区全区）", True),
    ("street1", Role.STREET_STAFF, "街道工作人员（银河南路街道）", True),
    ("street2", Role.STREET_STAFF, "街道工作人员（光明西道街道）", True),
    ("community1", Role.COMMUNITY_STAFF, "社区工作人员（银河南路街道第一个社区）", False),
    ("grid1", Role.GRID_WORKER, "网格员（银河南路街道第一个社区第1网格）", False),
    ("property1", Role.PROPERTY_MANAGER, "物业服务企业（其在管小区）", False),
    ("mediator1", Role.MEDIATOR, "调解员（银河南路街道人民调解委员会）", False),
    ("dept1", Role.DEPARTMENT_STAFF, "部门工作人员（区民政局）", False),
    ("civil1", Role.DEPARTMENT_STAFF, "区民政局社会救助科（审核确认、资金发放）", False),
    ("viewer1", Role.VIEWER, "查看者（安次区全区，只读）", False),
    ("resident1", Role.RESIDENT, "居民（银河南路街道第一个社区）", False),
    ("employ1", Role.DEPARTMENT_STAFF, "就业服务（区人力资源和社会保障局就业服务局）", False),
    ("employer1", Role.EMPLOYER, "用人单位（其发布的岗位和收到的推荐）", False),
    ("admin", None, "系统管理员（所有区县，含后台）", True),
]
# One more account per department that leads livelihood projects, so that each project's progress
# is reported by its own department (dept1 is 区民政局's).
F = Organisation.Function
DEPARTMENT_ACCOUNTS = [
    ("dept-housing", F.HOUSING, "部门工作人员（区住房和城乡建设局）"),
    ("dept-education", F.EDUCATION, "部门工作人员（区教育局）"),
    ("dept-health", F.HEALTH, "部门工作人员（区卫生健康局）"),
    ("dept-hr", F.HUMAN_RESOURCES, "部门工作人员（区人力资源和社会保障局）"),
    ("dept-environment", F.ENVIRONMENT, "部门工作人员（区生态环境分局）"),
    ("dept-urban", F.URBAN_MANAGEMENT, "部门工作人员（区城市管理综合行政执法局）"),
    ("dept-emergency", F.EMERGENCY, "部门工作人员（区应急管理局）"),
    # the district rural-revitalisation office: runs the 防返贫 monitoring (accounts.roles'
    # DEPARTMENT_FUNCTION_RIGHTS give its staff the monitoring rights)
    ("revival1", F.AGRICULTURE, "部门工作人员（区农业农村局·乡村振兴，防返贫监测）"),
]


@transaction.atomic
def create_demo_accounts(district6: str = "131002") -> list[tuple[str, str]]:
    User = get_user_model()
    district = Region.objects.get(code=district6.ljust(12, "0"))
    streets = list(Region.objects.filter(parent=district).order_by("code"))
    street1, street2 = streets[0], streets[1]
    comm1 = Region.objects.filter(parent=street1).order_by("code").first()
    K = Organisation.Kind

    def org(kind, region, function=""):
        qs = Organisation.objects.filter(kind=kind, region=region)
        if function:
            qs = qs.filter(function=function)
        return qs.order_by("pk").first()

    # The property company that manages the most compounds in street 1.
    company = (
        Organisation.objects.filter(kind=K.PROPERTY_COMPANY,
                                    managed_compounds__region__code__startswith=street1.code[:9])
        .order_by("pk").first()
    )
    memberships = {
        "district": (org(K.DEPARTMENT, district, F.LIVELIHOOD_OFFICE), district),
        "street1": (org(K.STREET_OFFICE, street1), street1),
        "street2": (org(K.STREET_OFFICE, street2), street2),
        "community1": (org(K.COMMUNITY_COMMITTEE, comm1), comm1),
        "grid1": (org(K.COMMUNITY_COMMITTEE, comm1), comm1),
        "property1": (company, district),
        "mediator1": (org(K.MEDIATION_COMMITTEE, street1), street1),
        "dept1": (org(K.DEPARTMENT, district, F.CIVIL_AFFAIRS), district),
        "civil1": (org(K.DEPARTMENT, district, F.CIVIL_AFFAIRS), district),
        "viewer1": (None, district),
        "resident1": (None, comm1),
        "employ1": (org(K.DEPARTMENT, district, F.HUMAN_RESOURCES), district),
        "employer1": (_demo_employer(district), district),
    }
    rng = random.Random("minsheng-demo-accounts")  # noqa: S311
    hashed = demo_hash()
    accounts = list(ACCOUNTS)
    for username, function, desc in DEPARTMENT_ACCOUNTS:
        department = org(K.DEPARTMENT, district, function)
        if department is not None:
            memberships[username] = (department, district)
            accounts.append((username, Role.DEPARTMENT_STAFF, desc, False))
    out = []
    for username, role, desc, staff in accounts:
        user, _ = User.objects.get_or_create(username=username)
        user.password = hashed
        user.is_staff = staff
        user.is_superuser = role is None
        user.is_active = True
        user.first_name = desc.split("（")[0]
        user.save()
        if role is not None:
            o, region = memberships[username]
            Membership.objects.get_or_create(user=user, organisation=o, role=role, region=region)
        profile, _ = Profile.objects.get_or_create(user=user)
        if not profile.phone:
            profile.real_name = person_name(rng)
            profile.phone = phone_number(rng)
            profile.id_number = id_number(rng, district6)
            profile.home_region = comm1 if username == "resident1" else None
            profile.save()
        out.append((username, desc))
    grid = Grid.objects.filter(region=comm1).order_by("name").first()
    if grid is not None:
        grid.worker = User.objects.get(username="grid1")
        grid.save(update_fields=["worker"])
    return out


def _demo_employer(district: Region) -> Organisation:
    """The organisation employer1 acts for; employment/demo.py makes it an employer (found through
    employer1's membership, never by its name)."""
    o = Organisation.objects.filter(kind=Organisation.Kind.OTHER, region=district,
                                    membership__user__username="employer1").first()
    return o or Organisation.objects.create(kind=Organisation.Kind.OTHER, region=district,
                                            name="廊坊安次示范食品有限公司（演示）", generated=True)


def has_demo_password(user) -> bool:
    return user.password == demo_hash() or check_password(DEMO_PASSWORD, user.password)


def accounts_with_demo_password() -> list[str]:
    """Usernames that still have the demo password: the demo hash, or any demo-named account."""
    User = get_user_model()
    names = {u for u, *_ in ACCOUNTS} | {u for u, *_ in DEPARTMENT_ACCOUNTS}
    found = set(User.objects.filter(password=demo_hash()).values_list("username", flat=True))
    for u in User.objects.filter(username__in=names - found, is_active=True):
        if check_password(DEMO_PASSWORD, u.password):
            found.add(u.username)
    for u in User.objects.filter(is_superuser=True, is_active=True).exclude(username__in=found):
        if check_password(DEMO_PASSWORD, u.password):
            found.add(u.username)
    return sorted(found)
