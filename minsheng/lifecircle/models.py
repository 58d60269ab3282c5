"""Life-circle runs and their results: every compound's walking distance to the nearest facility of
each category, computed by the engine on a district's street network."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.places.models import Compound, Facility, FacilityCategory, Region, StreetNetwork


class Run(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    region = models.ForeignKey(Region, on_delete=models.CASCADE, verbose_name=_("区/县"))
    network = models.ForeignKey(StreetNetwork, null=True, on_delete=models.SET_NULL,
                                verbose_name=_("路网"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices,
                             default=State.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    message = models.CharField(_("当前步骤"), max_length=300, blank=True)
    stats = models.JSONField(_("统计"), default=dict, blank=True)
    speed_m_per_min = models.FloatField(_("步行速度（米/分钟）"), default=1000 / 15)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("生活圈计算")
        verbose_name_plural = _("生活圈计算")

    def __str__(self) -> str:
        return f"{self.region} {self.created_at:%Y-%m-%d %H:%M} {self.get_state_display()}"


class Result(models.Model):
    """Walking distance (metres along the network between the snapped points) from a compound to
    the nearest facility of a category; null when none is within the largest level's distance or
    the compound is too far from the network (snap_m says how far)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results")
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE)
    category = models.ForeignKey(FacilityCategory, on_delete=models.CASCADE)
    distance_m = models.FloatField(null=True)
    facility = models.ForeignKey(Facility, null=True, on_delete=models.SET_NULL)
    snap_m = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "compound", "category"],
                                               name="result_once")]
        indexes = [models.Index(fields=["run", "category"])]


class Proposal(models.Model):
    """Where k new service points of a category would cover the most uncovered population
    (maximal covering location problem), saved so it can be discussed and turned into a project."""

    run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True)
    region = models.ForeignKey(Region, on_delete=models.CASCADE, verbose_name=_("区划"))
    category = models.ForeignKey(FacilityCategory, on_delete=models.CASCADE,
                                 verbose_name=_("设施类别"))
    k = models.PositiveSmallIntegerField(_("新增网点数"))
    method = models.CharField(_("求解方法"), max_length=20)
    sites = models.JSONField(_("选址"), help_text=_("[{name, lng, lat, kind, ref, covers}]"))
    covered_before = models.PositiveIntegerField(_("原覆盖人口"))
    covered_after = models.PositiveIntegerField(_("选址后覆盖人口"))
    population = models.PositiveIntegerField(_("总人口"))
    gap = models.FloatField(_("与最优的差距"), default=0)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    project = models.ForeignKey("projects.Project", null=True, blank=True,
                                on_delete=models.SET_NULL, verbose_name=_("已转为项目"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("选址方案")
        verbose_name_plural = _("选址方案")
