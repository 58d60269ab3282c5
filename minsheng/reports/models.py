"""The edited narrative of a region's annual report. The figures, tables and charts always come
from the database; only the paragraphs of a section can be rewritten by a district admin, and the
rewrite is kept here (per region and year) and used by every export until it is reset."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.places.models import Region


class ReportDraft(models.Model):
    region = models.ForeignKey(Region, on_delete=models.CASCADE, verbose_name=_("区划"))
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    # {section key: edited text}; paragraphs are separated by a blank line
    narratives = models.JSONField(_("编辑后的文字"), default=dict, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("最后编辑人"))
    updated_at = models.DateTimeField(_("最后编辑时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度报告文字稿")
        verbose_name_plural = _("年度报告文字稿")
        constraints = [models.UniqueConstraint(fields=["region", "year"],
                                               name="reportdraft_once")]

    def __str__(self) -> str:
        return f"{self.region.name} {self.year}"
