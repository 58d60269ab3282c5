"""The places registry: the spine every other module points at.

Regions are keyed by their 12-digit statistical code (统计用区划代码); a region's subtree is the code
prefix returned by `code_prefix`, so scoping a query is one indexed `startswith` filter on a
`region_id` column. Coordinates are WGS-84 (see coords.py); geometry is GeoJSON in a JSON column.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(r"^\d{12}$", _("区划代码必须是12位数字"))

# Digits that identify a region at each level; the rest of the 12 digits are zero.
LEVEL_DIGITS = {"province": 2, "city": 4, "district": 6, "street": 9, "community": 12}


def code_prefix(code: str) -> str:
    """The prefix that every code in this region's subtree starts with."""
    for digits in (2, 4, 6, 9):
        if code[digits:] == "0" * (12 - digits):
            return code[:digits]
    return code


def level_of(code: str) -> str:
    n = len(code_prefix(code))
    return {v: k for k, v in LEVEL_DIGITS.items()}[n]


def parent_code(code: str) -> str | None:
    n = len(code_prefix(code))
    if n == 2:
        return None
    shorter = {4: 2, 6: 4, 9: 6, 12: 9}[n]
    return code[:shorter].ljust(12, "0")


def district_code(code: str) -> str:
    """The 12-digit code of the district (区/县) containing a region code: 131002001007 →
    131002000000. The one place that knows a district is the first six digits."""
    return code[:6].ljust(12, "0")


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        DISTRICT = "district", _("区/县")
        STREET = "street", _("街道/乡镇")
        COMMUNITY = "community", _("社区/村")

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True, validators=[code_validator])
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("上级"),
    )
    boundary = models.JSONField(_("边界 (GeoJSON)"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    geometry_generated = models.BooleanField(
        _("边界为生成数据"), default=False,
        help_text=_("演示用的生成边界，不是真实区划界线"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return code_prefix(self.code)

    @property
    def kind(self) -> str:
        """街道/镇/乡/开发区 for streets; 居委会/村委会 for communities (by code range)."""
        if self.level == self.Level.COMMUNITY:
            return _("居委会") if int(self.code[9:]) < 200 else _("村委会")
        if self.level == self.Level.STREET:
            for suffix in ("街道", "镇", "乡"):
                if self.name.endswith(suffix):
                    return suffix
            return _("开发区") if "开发区" in self.name else _("其他")
        return self.get_level_display()

    def ancestors(self) -> list[Region]:
        out, code = [], parent_code(self.code)
        while code:
            r = Region.objects.filter(code=code).first()
            if r:
                out.append(r)
            code = parent_code(code)
        return list(reversed(out))

    def full_name(self) -> str:
        return "".join(a.name for a in self.ancestors()[-2:]) + self.name


class PlaceQuerySet(models.QuerySet):
    def in_region(self, code_or_prefix: str):
        return self.filter(region__code__startswith=code_prefix(code_or_prefix.ljust(12, "0")))


class Organisation(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("职能部门")
        STREET_OFFICE = "street_office", _("街道办事处/乡镇政府")
        COMMUNITY_COMMITTEE = "community_committee", _("社区居委会/村委会")
        PROPERTY_COMPANY = "property_company", _("物业服务企业")
        MEDIATION_COMMITTEE = "mediation_committee", _("人民调解委员会")
        LEGAL_AID_CENTRE = "legal_aid_centre", _("法律援助中心")
        POLICE_STATION = "police_station", _("派出所")
        COURT = "court", _("人民法院")
        OTHER = "other", _("其他")

    class Function(models.TextChoices):
        """What a department is responsible for: rules find "the justice bureau" or "the
        department leading housing" by this field, never by words in its name."""

        CIVIL_AFFAIRS = "civil_affairs", _("民政")
        HOUSING = "housing", _("住房和城乡建设")
        HUMAN_RESOURCES = "human_resources", _("人力资源和社会保障")
        EDUCATION = "education", _("教育")
        HEALTH = "health", _("卫生健康")
        FINANCE = "finance", _("财政")
        JUSTICE = "justice", _("司法行政")
        URBAN_MANAGEMENT = "urban_management", _("城市管理")
        EMERGENCY = "emergency", _("应急管理")
        ENVIRONMENT = "environment", _("生态环境")
        AGRICULTURE = "agriculture", _("农业农村")
        LIVELIHOOD_OFFICE = "livelihood_office", _("民生工作统筹")

    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices, db_index=True)
    function = models.CharField(_("职能"), max_length=30, choices=Function.choices, blank=True,
                                db_index=True, help_text=_("职能部门的主管领域（如司法行政、民政）"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所属区划"))
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    receives_escalations = models.BooleanField(
        _("接收超时升级"), default=False,
        help_text=_("本级超时未办结的诉求升级到这里（如区社会治理中心、区民生办）；"
                    "未指定时升级到本级第一个职能部门"))
    generated = models.BooleanField(_("演示生成"), default=False)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("组织机构")
        verbose_name_plural = _("组织机构")
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "name"], name="org_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """A 网格: a polygon inside a community, patrolled by a grid worker."""

    name = models.CharField(_("网格名称"), max_length=100)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, verbose_name=_("所属社区/村"),
        limit_choices_to={"level": Region.Level.COMMUNITY},
    )
    boundary = models.JSONField(_("边界 (GeoJSON)"), null=True, blank=True)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        verbose_name=_("网格员"), related_name="grids",
    )
    generated = models.BooleanField(_("演示生成"), default=False)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="grid_unique_name")]

    def __str__(self) -> str:
        return f"{self.region.name}{self.name}"


NO_COMMITTEE_HEAD = _("该小区没有业委会/物管会，不能填写“主任由小区党支部书记担任”。")


class Compound(models.Model):
    """A residential compound (小区) and the facts of how it is governed."""

    class PropertyStatus(models.TextChoices):
        COMPANY = "company", _("物业公司")
        MANAGEMENT_COMMITTEE = "management_committee", _("物管会")
        OWNERS_COMMITTEE = "owners_committee", _("业委会")
        NONE = "none", _("无物业")

    class Committee(models.TextChoices):
        NONE = "", _("无")
        OWNERS = "owners", _("业主委员会")
        MANAGEMENT = "management", _("物业管理委员会")

    class Renovation(models.TextChoices):
        NONE = "", _("未改造")
        A = "A", _("A类 精品")
        B = "B", _("B类 特色")
        C = "C", _("C类 达标")

    name = models.CharField(_("小区名称"), max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所属社区/村"))
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("网格"),
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lng = models.FloatField(_("经度"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    boundary = models.JSONField(_("边界 (GeoJSON)"), null=True, blank=True)
    year_built = models.PositiveSmallIntegerField(
        _("建成年份"), null=True, blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(2100)],
    )
    buildings = models.PositiveIntegerField(_("楼栋数"), default=0)
    households = models.PositiveIntegerField(_("户数"), default=0)
    population = models.PositiveIntegerField(_("人口"), default=0)
    property_status = models.CharField(
        _("物业管理状态"), max_length=30, choices=PropertyStatus.choices,
        default=PropertyStatus.NONE, db_index=True,
    )
    property_company = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL,
        verbose_name=_("物业服务企业"), related_name="managed_compounds",
        limit_choices_to={"kind": Organisation.Kind.PROPERTY_COMPANY},
    )
    committee = models.CharField(
        _("业委会/物管会"), max_length=20, choices=Committee.choices, default="", blank=True,
    )
    committee_head = models.CharField(_("业委会/物管会主任"), max_length=50, blank=True)
    committee_head_phone = models.CharField(_("主任联系电话"), max_length=30, blank=True)
    head_is_party_secretary = models.BooleanField(
        _("主任由小区党支部书记担任"), default=False,
    )
    is_old = models.BooleanField(_("老旧小区"), default=False)
    renovation_class = models.CharField(
        _("改造类别"), max_length=1, choices=Renovation.choices, default="", blank=True,
    )
    smart_safety = models.BooleanField(_("智慧安防小区"), default=False)
    generated = models.BooleanField(
        _("演示生成"), default=False, help_text=_("演示用的生成数据，不是真实小区"),
    )
    osm_id = models.CharField(_("OSM 编号"), max_length=40, blank=True)
    # valid from: the day the row was registered (set on the first save; empty for rows from
    # before records began, e.g. the generated demo). The stock indicators of a past period count
    # only rows registered before its end (indicators.sources, "Stock figures have history").
    created_on = models.DateField(_("登记日期"), null=True, blank=True, editable=False)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("小区")
        verbose_name_plural = _("小区")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="compound_unique_name"),
        ]
        indexes = [models.Index(fields=["lat", "lng"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and self.created_on is None:
            self.created_on = timezone.localdate()
        super().save(*args, **kwargs)

    @property
    def has_management(self) -> bool:
        return self.property_status != self.PropertyStatus.NONE

    def clean(self) -> None:
        """A head who is the party secretary needs a committee to head (the share of committees
        headed by the party secretary counts only real committees): refused, never counted."""
        super().clean()
        if self.head_is_party_secretary and not self.committee:
            raise ValidationError({"head_is_party_secretary": NO_COMMITTEE_HEAD})


class FacilityCategory(models.Model):
    """A kind of life-circle facility. The catalogue is a fixture a district may edit."""

    class Level(models.IntegerChoices):
        FIVE = 5, _("5分钟生活圈")
        TEN = 10, _("10分钟生活圈")
        FIFTEEN = 15, _("15分钟生活圈")

    code = models.SlugField(_("代码"), max_length=40, primary_key=True)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    level = models.PositiveSmallIntegerField(_("生活圈层级"), choices=Level.choices)
    distance_m = models.PositiveIntegerField(_("步行距离 (米)"))
    group = models.CharField(_("分组"), max_length=30, blank=True)
    required = models.BooleanField(_("应配置"), default=True)
    osm_tags = models.JSONField(_("OSM 标签"), default=list, blank=True)
    source = models.CharField(_("依据"), max_length=200, blank=True)
    verified = models.BooleanField(_("已核对原文"), default=False)
    color = models.CharField(_("地图颜色"), max_length=7, default="#2563eb")
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("设施类别")
        verbose_name_plural = _("设施类别")

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the page's language: the catalogue's English name in English."""
        return self.name_en if self.name_en and get_language() == "en" else self.name


class Facility(models.Model):
    """A service point (生活圈服务网点)."""

    name = models.CharField(_("名称"), max_length=100)
    category = models.ForeignKey(
        FacilityCategory, on_delete=models.PROTECT, verbose_name=_("类别"), related_name="facilities",
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("所属社区/村"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lng = models.FloatField(_("经度"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    capacity = models.PositiveIntegerField(_("服务容量"), null=True, blank=True)
    opening_hours = models.CharField(_("营业时间"), max_length=100, blank=True)
    signed_service_point = models.BooleanField(_("签约生活圈服务网点"), default=False)
    generated = models.BooleanField(_("演示生成"), default=False)
    osm_id = models.CharField(_("OSM 编号"), max_length=40, blank=True)
    created_on = models.DateField(_("登记日期"), null=True, blank=True, editable=False)  # see Compound

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["region_id", "category_id", "name"]
        verbose_name = _("服务设施")
        verbose_name_plural = _("服务设施")
        constraints = [
            models.UniqueConstraint(fields=["region", "category", "name"], name="facility_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and self.created_on is None:
            self.created_on = timezone.localdate()
        super().save(*args, **kwargs)


class StreetNetwork(models.Model):
    """The streets of an area as GeoJSON lines: drawn on the map; the life circle walks them."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, verbose_name=_("区划"))
    name = models.CharField(_("名称"), max_length=100)
    source = models.CharField(_("来源"), max_length=200)
    generated = models.BooleanField(_("生成数据"), default=False)
    geometry = models.JSONField(_("道路 (GeoJSON MultiLineString)"))
    created = models.DateTimeField(auto_now=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("道路网")
        verbose_name_plural = _("道路网")

    def __str__(self) -> str:
        return self.name
