"""Indicators, after DHIS2: data elements hold raw values per region and period (computed by SQL
from the modules' records, or entered by a department through a data set with approval);
indicators are factor × numerator / denominator over data elements; targets are per region and
year. The catalogue is data (data/catalogue.json, loaded by a migration, editable in the back
office); each definition says where it comes from and whether it has been checked."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.indicators import formula
from minsheng.indicators.periods import PeriodError, parse
from minsheng.places.models import Region

PERIOD_KINDS = [("year", _("年")), ("quarter", _("季度")), ("month", _("月"))]


class Section(models.TextChoices):
    SPENDING = "spending", _("民生支出")
    PROJECTS = "projects", _("民生项目")
    COMPOUNDS = "compounds", _("小区与物业管理")
    LIFECIRCLE = "lifecircle", _("15分钟生活圈")
    GOVERNANCE = "governance", _("基层治理与矛盾纠纷")
    LEGAL = "legal", _("公共法律服务")
    ASSISTANCE = "assistance", _("社会保障与救助")
    EMPLOYMENT = "employment", _("就业")
    ENVIRONMENT = "environment", _("生态环境")
    SAFETY = "safety", _("安全生产")


class Definition(models.Model):
    """What every catalogue entry says about itself."""

    definition = models.TextField(_("口径说明"), blank=True)
    source_document = models.CharField(_("依据文件"), max_length=300, blank=True)
    owner = models.CharField(_("责任部门"), max_length=100, blank=True)
    verified = models.BooleanField(
        _("口径已核实"), default=False,
        help_text=_("已与依据文件核对；未核实的口径在页面和报告中标注"))

    class Meta:
        abstract = True


class DataSet(models.Model):
    """A form a department fills in for a region and period (e.g. 环境质量, 社会保险参保)."""

    code = models.SlugField(_("代码"), max_length=40, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    period_kind = models.CharField(_("填报周期"), max_length=10, choices=PERIOD_KINDS,
                                   default="year")
    level = models.CharField(_("填报层级"), max_length=10, choices=Region.Level.choices,
                             default="district")
    owner = models.CharField(_("填报部门"), max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("填报表")
        verbose_name_plural = _("填报表")

    def __str__(self) -> str:
        return self.name


class DataElement(Definition):
    class Source(models.TextChoices):
        COMPUTED = "computed", _("系统计算")
        MANUAL = "manual", _("人工填报")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("求和")
        AVERAGE = "average", _("平均（时点量按期平均）")
        LAST = "last", _("期末值")

    class ValueType(models.TextChoices):
        INTEGER = "integer", _("整数")
        NUMBER = "number", _("数值")

    code = models.SlugField(_("代码"), max_length=50, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=120, blank=True)
    unit = models.CharField(_("计量单位"), max_length=20, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    aggregation = models.CharField(_("汇总方式"), max_length=10, choices=Aggregation.choices,
                                   default=Aggregation.SUM)
    value_type = models.CharField(_("数值类型"), max_length=10, choices=ValueType.choices,
                                  default=ValueType.INTEGER)
    min_value = models.DecimalField(_("最小值"), max_digits=20, decimal_places=4,
                                    null=True, blank=True)
    max_value = models.DecimalField(_("最大值"), max_digits=20, decimal_places=4,
                                    null=True, blank=True)
    dataset = models.ForeignKey(DataSet, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="elements", verbose_name=_("填报表"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("数据项")
        verbose_name_plural = _("数据项")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.source == self.Source.MANUAL and self.dataset_id is None:
            raise ValidationError({"dataset": _("人工填报的数据项必须属于一张填报表")})
        if self.min_value is not None and self.max_value is not None \
                and self.min_value > self.max_value:
            raise ValidationError({"max_value": _("最大值不能小于最小值")})


class Indicator(Definition):
    class Kind(models.TextChoices):
        COUNT = "count", _("数量")
        AMOUNT = "amount", _("金额")
        PERCENT = "percent", _("百分比（%）")
        PERMILLE = "permille", _("千分比（‰）")
        PER10K = "per10k", _("每万人")
        VALUE = "value", _("数值")
        WATER_CLASS = "water_class", _("水质类别")
        GROWTH = "growth", _("同比增长（%）")

    class Status(models.TextChoices):
        AVAILABLE = "available", _("可计算")
        AWAITING_MODULE = "awaiting_module", _("待模块上线（暂由人工填报）")

    code = models.SlugField(_("代码"), max_length=50, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=120, blank=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    section = models.CharField(_("板块"), max_length=20, choices=Section.choices)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    numerator = models.CharField(_("分子（公式）"), max_length=300)
    denominator = models.CharField(_("分母（公式）"), max_length=300, blank=True,
                                   help_text=_("留空表示 1"))
    factor = models.DecimalField(_("系数"), max_digits=12, decimal_places=4, default=1,
                                 help_text=_("百分比填 100，千分比 1000，每万人 10000"))
    scale = models.DecimalField(_("显示换算"), max_digits=14, decimal_places=0, default=1,
                                help_text=_("显示时除以此数，例如以“亿元”显示金额填 100000000"))
    unit = models.CharField(_("显示单位"), max_length=20, blank=True)
    decimals = models.PositiveSmallIntegerField(_("小数位"), default=0,
                                                validators=[MaxValueValidator(4)])
    higher_is_better = models.BooleanField(_("越高越好"), null=True, blank=True,
                                           help_text=_("留空表示不判断高低"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices,
                              default=Status.AVAILABLE)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    on_dashboard = models.BooleanField(_("在驾驶舱显示"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("指标")
        verbose_name_plural = _("指标")

    def __str__(self) -> str:
        return self.name

    def element_codes(self) -> set[str]:
        codes = formula.names(self.numerator)
        if self.denominator:
            codes |= formula.names(self.denominator)
        return codes

    def clean(self) -> None:
        errors = {}
        for field in ("numerator", "denominator"):
            text = getattr(self, field)
            if not text:
                continue
            try:
                used = formula.names(text)
            except formula.FormulaError as exc:
                errors[field] = str(exc)
                continue
            missing = used - set(DataElement.objects.filter(code__in=used)
                                 .values_list("code", flat=True))
            if missing:
                errors[field] = _("没有这些数据项：%(codes)s") % {"codes": "、".join(sorted(missing))}
        if errors:
            raise ValidationError(errors)


class Target(models.Model):
    """The year's target of an indicator for a region; shorter periods prorate counts by days."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets",
                                  verbose_name=_("指标"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, verbose_name=_("区划"))
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    value = models.DecimalField(_("目标值"), max_digits=20, decimal_places=4,
                                help_text=_("按指标的显示单位填写"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["indicator", "region_id", "year"]
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        constraints = [models.UniqueConstraint(fields=["indicator", "region", "year"],
                                               name="target_once")]


def validate_period(value: str) -> None:
    try:
        parse(value)
    except PeriodError as exc:
        raise ValidationError(str(exc)) from exc


class DataValue(models.Model):
    """A raw value of a data element for a region and period. Computed values are written at every
    level of the region tree by the compute job; manual values where they were entered (rolled up
    by code prefix when asked for a parent region)."""

    element = models.ForeignKey(DataElement, on_delete=models.CASCADE, verbose_name=_("数据项"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, verbose_name=_("区划"))
    period = models.CharField(_("期间"), max_length=7, validators=[validate_period])
    value = models.DecimalField(_("数值"), max_digits=20, decimal_places=4)
    comment = models.CharField(_("备注"), max_length=200, blank=True)
    approved = models.BooleanField(_("已审核"), default=False)
    updated_at = models.DateTimeField(_("截至"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("数据值")
        verbose_name_plural = _("数据值")
        constraints = [models.UniqueConstraint(fields=["element", "region", "period"],
                                               name="datavalue_once")]
        indexes = [models.Index(fields=["period", "region"])]


class Completion(models.Model):
    """A data set's return for a region and period: drafted, submitted, approved (locked)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("填报中")
        SUBMITTED = "submitted", _("已上报，待审核")
        APPROVED = "approved", _("已审核（锁定）")

    dataset = models.ForeignKey(DataSet, on_delete=models.CASCADE, verbose_name=_("填报表"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, verbose_name=_("区划"))
    period = models.CharField(_("期间"), max_length=7, validators=[validate_period])
    state = models.CharField(_("状态"), max_length=10, choices=State.choices,
                             default=State.DRAFT)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    history = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("填报记录")
        verbose_name_plural = _("填报记录")
        constraints = [models.UniqueConstraint(fields=["dataset", "region", "period"],
                                               name="completion_once")]


class ValidationRule(models.Model):
    """A check across a data set's values, e.g. 优良天数 ≤ 监测天数 ≤ DAYS."""

    class Operator(models.TextChoices):
        LE = "<=", "≤"
        LT = "<", "<"
        GE = ">=", "≥"
        GT = ">", ">"
        EQ = "==", "="

    dataset = models.ForeignKey(DataSet, on_delete=models.CASCADE, related_name="rules",
                                verbose_name=_("填报表"))
    left = models.CharField(_("左边（公式）"), max_length=200)
    operator = models.CharField(_("比较"), max_length=2, choices=Operator.choices)
    right = models.CharField(_("右边（公式）"), max_length=200)
    message = models.CharField(_("不通过时的提示"), max_length=200)

    class Meta:
        verbose_name = _("校验规则")
        verbose_name_plural = _("校验规则")

    def holds(self, values: dict[str, Decimal | None], days: int) -> bool | None:
        a = formula.evaluate(self.left, values, days=days)
        b = formula.evaluate(self.right, values, days=days)
        if a is None or b is None:
            return None  # not all values entered: nothing to check yet
        return {"<=": a <= b, "<": a < b, ">=": a >= b, ">": a > b, "==": a == b}[self.operator]


class Computation(models.Model):
    """When the computed data elements of a district and period were last refreshed."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE)
    period = models.CharField(max_length=7)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    values = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "period"],
                                               name="computation_once")]
