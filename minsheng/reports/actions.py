"""The only writers of the annual report: the livelihood office's edited narrative, kept per
region, year and section (ReportDraft), or reset to the text generated from the data."""

from __future__ import annotations

from django.db import transaction

from minsheng.places.models import Region
from minsheng.reports import document
from minsheng.reports.models import ReportDraft

__all__ = ["do_reset_narrative", "do_save_narrative"]


@transaction.atomic
def do_save_narrative(user, region: Region, year: int, key: str, text: str,
                      generated: str) -> ReportDraft | None:
    """Keep the edited paragraphs of a section; text equal to the generated text (or empty)
    resets the section instead, so the report follows the data again."""
    text = text.replace("\r\n", "\n").strip()
    if not text or document.split_paragraphs(text) == document.split_paragraphs(generated):
        return do_reset_narrative(user, region, year, key)
    draft, _created = ReportDraft.objects.select_for_update().get_or_create(
        region=region, year=year)
    draft.narratives = {**draft.narratives, key: text}
    draft.updated_by = user
    draft.save(update_fields=["narratives", "updated_by", "updated_at"])
    return draft


@transaction.atomic
def do_reset_narrative(user, region: Region, year: int, key: str) -> ReportDraft | None:
    """Back to the text the template generates from the data."""
    draft = ReportDraft.objects.select_for_update().filter(region=region, year=year).first()
    if draft is None or key not in draft.narratives:
        return draft
    draft.narratives = {k: v for k, v in draft.narratives.items() if k != key}
    draft.updated_by = user
    draft.save(update_fields=["narratives", "updated_by", "updated_at"])
    return draft
