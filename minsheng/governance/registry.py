"""The compound governance registry with history: every change is a dated row
(GovernanceRecord, valid_from/valid_to), so a figure as of last year reads last year's rows.

A compound that never changed has no row: its places.Compound fields are its state throughout.
The first change writes that state as a row 'since before records' (valid_from empty) closed on
the change's date, then the new state from that date. Figures as of a day read the row valid that
day, or the Compound fields for compounds without rows (SQL counts, no loop over compounds).

Who manages a compound on a day is management_on's to say. The Compound's current fields, which
other apps read (routing, scope, pages), mirror the row valid today: a change scheduled for a
later day (a takeover's start) reaches them on that day (apply_due, a recurring job), so until
then the compound is shown as before, with the takeover to come.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.masking import log
from minsheng.governance.models import GovernanceRecord
from minsheng.places.models import Compound

R = GovernanceRecord.Form
FIELDS = ("form", "property_company", "committee", "election_date", "turnout",
          "street_approved", "has_party_branch", "head_is_party_secretary", "cadre_full_time",
          "cadre_unit", "property_managers")
# places.Compound's property_status for each form (自管 has no own value there: 业委会 runs it)
STATUS = {R.COMPANY: "company", R.MANAGEMENT_COMMITTEE: "management_committee",
          R.OWNERS_COMMITTEE: "owners_committee", R.SELF: "owners_committee", R.NONE: "none"}


def _baseline(c: Compound) -> dict[str, Any]:
    form = {v: k for k, v in STATUS.items() if k != R.SELF}.get(c.property_status, R.NONE)
    return {"form": form, "property_company_id": c.property_company_id,
            "committee": c.committee, "head_is_party_secretary": c.head_is_party_secretary,
            "has_party_branch": c.head_is_party_secretary}


@transaction.atomic
def do_change_governance(compound: Compound, *, on: dt.date, by, note: str = "",
                         scheduled: bool = False, **changes: Any) -> GovernanceRecord:
    """From `on`, the compound is governed as before except for `changes` (FIELDS).

    `scheduled`: a change decided now that takes effect on a later day (a takeover's start,
    takeovers.py); the dated figures count it from that day, and so do the compound's current
    fields (places.Compound, which other apps read): they follow the row valid today, the
    scheduled row reaching them on its day (apply_due). A second change on the same day that
    puts back the day before's values leaves no row for that day."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationError(_("未知的登记项：%(f)s") % {"f": "、".join(sorted(unknown))})
    if on > timezone.localdate() and not scheduled:
        raise ValidationError(_("变更日期不能晚于今天"))
    compound = Compound.objects.select_for_update().get(pk=compound.pk)
    current = (GovernanceRecord.objects.select_for_update()
               .filter(compound=compound, valid_to__isnull=True).first())
    if current is None:
        current = GovernanceRecord.objects.create(compound=compound, valid_from=None,
                                                  note="登记前状态", **_baseline(compound))
    if current.valid_from is not None and on < current.valid_from:
        if current.valid_from > timezone.localdate():  # a scheduled change (a takeover's start)
            raise ValidationError(_("该小区已登记自 %(d)s 起的变更（如接管开始），不能再登记此前的变更")
                                  % {"d": current.valid_from})
        raise ValidationError(_("变更日期不能早于上一次变更（%(d)s）") % {"d": current.valid_from})
    values = {f: getattr(current, f) for f in FIELDS}
    values.update(changes)
    if values["committee"] and values["committee"] not in Compound.Committee.values:
        raise ValidationError(_("业委会/物管会类型无效"))
    if values["head_is_party_secretary"] and not values["committee"]:
        raise ValidationError(_("没有业委会/物管会，主任不能由党支部书记担任"))
    if current.valid_from == on:  # a second change the same day amends that day's row
        for f, v in values.items():
            setattr(current, f, v)
        current.changed_by = by or current.changed_by
        current.note = "；".join(x for x in (current.note, note) if x)[:200]
        current.save()
        record = current
        before = (GovernanceRecord.objects.select_for_update()
                  .filter(compound=compound, valid_to=on).first())
        if before is not None and all(getattr(before, f) == values[f] for f in FIELDS):
            current.delete()  # the day's change undone: the day before's row goes on
            before.valid_to = None
            before.save(update_fields=["valid_to"])
            record = before
    else:
        current.valid_to = on
        current.save(update_fields=["valid_to"])
        record = GovernanceRecord.objects.create(compound=compound, valid_from=on, changed_by=by,
                                                 note=note[:200], **values)
    # other code reads the compound's current fields: keep them in step with the row valid
    # today (a scheduled row reaches them on its day, apply_due)
    if on <= timezone.localdate():
        _mirror(compound, record)
    log(by, "governance.change", compound, detail=", ".join(sorted(changes)))
    return record


MIRRORED = ("property_status", "property_company", "committee", "head_is_party_secretary")


def _mirror(compound: Compound, record: GovernanceRecord) -> None:
    """places.Compound's current fields from `record` (the row valid today)."""
    compound.property_status = STATUS[record.form]
    compound.property_company_id = record.property_company_id
    compound.committee = record.committee
    compound.head_is_party_secretary = record.head_is_party_secretary
    compound.save(update_fields=list(MIRRORED))


def _out_of_step(day: dt.date) -> Q:
    """Rows valid on `day` whose compound's current fields say otherwise."""
    company = (Q(property_company__isnull=True, compound__property_company__isnull=False)
               | Q(property_company__isnull=False, compound__property_company__isnull=True)
               | (Q(property_company__isnull=False, compound__property_company__isnull=False)
                  & ~Q(compound__property_company=F("property_company"))))
    status = ((Q(form=R.SELF) & ~Q(compound__property_status=STATUS[R.SELF]))
              | (~Q(form=R.SELF) & ~Q(compound__property_status=F("form"))))
    return (company | status | ~Q(compound__committee=F("committee"))
            | ~Q(compound__head_is_party_secretary=F("head_is_party_secretary")))


@transaction.atomic
def apply_due(day: dt.date | None = None) -> int:
    """Bring places.Compound's current fields in step with the registry rows valid `day`
    (today): a scheduled change (a takeover's start) reaches them on its day. The recurring
    job (web/jobs.py, every few minutes); returns how many compounds changed."""
    day = day or timezone.localdate()
    rows = list(GovernanceRecord.objects.filter(_valid_on(day)).filter(_out_of_step(day))
                .select_related("compound").order_by("compound_id"))
    for row in rows:
        compound = Compound.objects.select_for_update().get(pk=row.compound_id)
        _mirror(compound, row)
        log(None, "governance.change_due", compound, detail=str(row.valid_from))
    return len(rows)


def current_values(compound: Compound, day: dt.date | None = None) -> dict[str, Any]:
    """The compound's registry state on `day` (today; FIELDS): the row valid that day, or its
    own fields. A change scheduled for a later day (a takeover's start) is not yet its state."""
    row = record_on(compound, day or timezone.localdate())
    if row is None:
        row = GovernanceRecord(compound=compound, **_baseline(compound))
    return {f: getattr(row, f) for f in FIELDS}


def management_on(compound: Compound, day: dt.date | None = None) -> dict[str, Any]:
    """The one rule for "who manages the compound on `day`" (today): its form and company by
    the registry row valid that day (its own fields without rows), and the change scheduled
    after that day, if any ({"on", "form", "property_company"}: a takeover that starts later)."""
    day = day or timezone.localdate()
    values = current_values(compound, day)
    return {"form": values["form"], "property_company": values["property_company"],
            "scheduled": scheduled_for([compound], day).get(compound.pk)}


def scheduled_for(compounds: list[Compound], day: dt.date | None = None) -> dict[int, dict]:
    """management_on's "scheduled" for many compounds at once: {compound pk: {"on", "form",
    "property_company"}} for those with a change after `day` (today)."""
    day = day or timezone.localdate()
    out: dict[int, dict] = {}
    for row in (GovernanceRecord.objects.filter(compound__in=[c.pk for c in compounds],
                                                valid_from__gt=day)
                .select_related("property_company").order_by("-valid_from")):
        out[row.compound_id] = {"on": row.valid_from, "form": row.form,
                                "property_company": row.property_company}
    return out


def has_history(compound: Compound) -> bool:
    """The registry holds the compound's governance (rows with dates): its management and
    committee facts change through the registry, not by editing the compound."""
    return GovernanceRecord.objects.filter(compound=compound).exists()


def record_on(compound: Compound, day: dt.date) -> GovernanceRecord | None:
    """The compound's registry row valid on `day` (None: no row, its fields are its state)."""
    return GovernanceRecord.objects.filter(_valid_on(day), compound=compound).first()


def _valid_on(day: dt.date) -> Q:
    return ((Q(valid_from__isnull=True) | Q(valid_from__lte=day))
            & (Q(valid_to__isnull=True) | Q(valid_to__gt=day)))


def conditions_on(day: dt.date) -> dict[str, Q]:
    """Conditions on places.Compound rows for how each compound was governed on `day`: by the
    registry row valid that day for compounds with rows, by the compound's own fields for the
    others. The one rule for the coverage figures (figures_on here, the indicator sources)."""
    has_rows = Exists(GovernanceRecord.objects.filter(compound=OuterRef("pk")))
    valid = GovernanceRecord.objects.filter(_valid_on(day), compound=OuterRef("pk"))

    def either(rows: Q, plain: Q) -> Q:
        return (Q(has_rows) & Q(Exists(valid.filter(rows)))) | (~Q(has_rows) & plain)

    return {
        "managed": either(~Q(form=R.NONE), ~Q(property_status="none")),
        "with_committee": either(~Q(committee=""), ~Q(committee="")),
        "covered": either(~Q(form=R.NONE) | ~Q(committee=""),
                          ~Q(property_status="none") | ~Q(committee="")),
        "party_head": either(~Q(committee="") & Q(head_is_party_secretary=True),
                             ~Q(committee="") & Q(head_is_party_secretary=True)),
    }


def figures_on(prefix: str, day: dt.date) -> dict[str, Any]:
    """Counts of the compounds of a region (code prefix) as governed on `day`, and the cadre
    coverage (compounds with a full-time cadre ÷ compounds with a party branch, %, None without
    a branch) — the catalogue's ratio of gov_full_time_cadres to gov_party_branches."""
    compounds = Compound.objects.filter(region__code__startswith=prefix)
    rows = GovernanceRecord.objects.filter(_valid_on(day), compound__in=compounds)
    on = conditions_on(day)
    out: dict[str, Any] = {
        "compounds": compounds.count(),
        "covered": compounds.filter(on["covered"]).count(),
        "with_committee": compounds.filter(on["with_committee"]).count(),
        "party_branch": rows.filter(has_party_branch=True).count(),
        "full_time_cadre": rows.filter(has_party_branch=True, cadre_full_time=True).count(),
        "secretary_heads_elected": rows.filter(head_is_party_secretary=True,
                                               election_date__isnull=False,
                                               street_approved=True).count(),
        "property_managers": sum(rows.values_list("property_managers", flat=True)),
    }
    out["cadre_coverage"] = (round(100 * out["full_time_cadre"] / out["party_branch"], 1)
                             if out["party_branch"] else None)
    return out
