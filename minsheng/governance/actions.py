"""Every change to the evaluation: atomic, audited (accounts.masking.log)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.masking import log
from minsheng.governance import scoring, services
from minsheng.governance.models import (
    Inspection,
    InspectionPhoto,
    Scheme,
    SchemeItem,
    Scorecard,
    Survey,
    SurveyAnswer,
)
from minsheng.lib.images import Photo
from minsheng.places.models import Compound, code_prefix


@transaction.atomic
def do_compute_scores(scheme: Scheme, period_code: str, *, by=None) -> list[Scorecard]:
    """(Re)compute the scorecards of a scheme's period; objections and publication are kept."""
    period = services.parse_period(period_code)
    now = timezone.now()
    out = []
    reviewed = {sc.company_id: sc.review for sc in Scorecard.objects.filter(
        scheme=scheme, period=period.code, decision=Scorecard.Decision.UPHELD)}
    for company, card in services.compute(scheme, period):
        if company.pk in reviewed:  # an upheld objection's re-scored item stays re-scored
            card = _rescored(scheme, card, reviewed[company.pk])
        sc, _created = Scorecard.objects.update_or_create(
            scheme=scheme, period=period.code, company=company,
            defaults={"total": None if card.total is None else Decimal(str(card.total)),
                      "grade": card.grade, "items": services.card_to_json(card),
                      "computed_at": now})
        out.append(sc)
    log(by, "governance.compute", scheme, region_code=scheme.region_id,
        detail=f"{scheme.code} {period.code}: {len(out)}")
    return out


@transaction.atomic
def do_publish(scheme: Scheme, period_code: str, *, by) -> int:
    n = Scorecard.objects.filter(scheme=scheme, period=period_code).update(published=True)
    log(by, "governance.publish", scheme, region_code=scheme.region_id,
        detail=f"{scheme.code} {period_code}: {n}")
    return n


@transaction.atomic
def do_object(card: Scorecard, *, reason: str, by) -> Scorecard:
    """The company objects to its scorecard, once, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写异议理由"))
    card = Scorecard.objects.select_for_update().get(pk=card.pk)
    if card.objected_at is not None:
        raise ValidationError(_("每期考评结果只能提出一次异议"))
    card.objection, card.objected_at = reason[:2000], timezone.now()
    card.save(update_fields=["objection", "objected_at"])
    log(by, "governance.object", card, region_code=card.company.region_id)
    return card


def _rescored(scheme: Scheme, card: scoring.Card, review: dict) -> scoring.Card:
    items = [scoring.Item(i.code, i.name, i.weight,
                          review["after"] if i.code == review["item"] else i.value,
                          {**i.evidence, "review": review} if i.code == review["item"]
                          else i.evidence) for i in card.items]
    return scoring.score(items, [(b[0], b[1]) for b in scheme.bands])


def _card_of(sc: Scorecard) -> scoring.Card:
    items = tuple(scoring.ScoredItem(i["code"], i["name"], i["weight"], i["value"],
                                     i["points"], i["status"], i.get("evidence") or {})
                  for i in sc.items)
    return scoring.Card(items, None if sc.total is None else float(sc.total), sc.grade)


@transaction.atomic
def do_decide_objection(card: Scorecard, *, upheld: bool, reason: str, by,
                        item: str = "", value: float | None = None) -> Scorecard:
    """The district decides a company's objection, once. Upheld: the item is re-scored (a
    measure 0–100) and the total and grade recomputed, the old ones kept in `review`; rejected:
    the reason is recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写处理理由"))
    card = Scorecard.objects.select_for_update().select_related("scheme", "company").get(
        pk=card.pk)
    if card.objected_at is None:
        raise ValidationError(_("该考评结果没有异议"))
    if card.decision:
        raise ValidationError(_("该异议已处理"))
    if upheld:
        codes = {i["code"]: i for i in card.items}
        if item not in codes:
            raise ValidationError(_("请选择要复核的考评项目"))
        if value is None or not 0 <= value <= 100:
            raise ValidationError(_("复核测得值须在0到100之间"))
        review = {"item": item, "before": codes[item]["value"], "after": round(float(value), 1),
                  "total": None if card.total is None else float(card.total),
                  "grade": card.grade, "reason": reason[:2000]}
        new = _rescored(card.scheme, _card_of(card), review)
        card.total = None if new.total is None else Decimal(str(new.total))
        card.grade, card.items, card.review = new.grade, services.card_to_json(new), review
    card.decision = Scorecard.Decision.UPHELD if upheld else Scorecard.Decision.REJECTED
    card.decision_reason, card.decided_at = reason[:2000], timezone.now()
    card.save()
    log(by, "governance.decide_objection", card, region_code=card.scheme.region_id,
        detail=card.decision)
    return card


@transaction.atomic
def do_record_inspection(*, scheme: Scheme, compound: Compound, kind: str, day: dt.date,
                         results: dict[str, float], note: str, photos: list[Photo],
                         by) -> Inspection:
    if compound.property_company_id is None:
        raise ValidationError(_("该小区没有物业服务企业，无需物业考评检查"))
    if day > timezone.localdate():
        raise ValidationError(_("检查日期不能晚于今天"))
    codes = set(scheme.items.filter(source=SchemeItem.Source.INSPECTION)
                .values_list("code", flat=True))
    clean = {}
    for k, v in results.items():
        if k not in codes or not 0 <= float(v) <= 100:
            raise ValidationError(_("检查项目或分数无效"))
        clean[k] = float(v)
    ins = Inspection.objects.create(
        scheme=scheme, compound=compound, company_id=compound.property_company_id,
        region_id=compound.region_id, kind=kind, inspected_on=day, inspector=by,
        results=clean, note=note)
    for p in photos:
        InspectionPhoto.objects.create(inspection=ins, image=p.file())
    log(by, "governance.inspect", ins, region_code=compound.region_id)
    return ins


@transaction.atomic
def do_open_surveys(scheme: Scheme, *, by) -> int:
    """A questionnaire (link token) for every compound with a property company in the scheme's
    region that has none yet; returns how many were opened."""
    have = set(Survey.objects.filter(scheme=scheme).values_list("compound_id", flat=True))
    new = [Survey(scheme=scheme, compound_id=pk) for pk in Compound.objects.filter(
        region__code__startswith=code_prefix(scheme.region_id), property_company__isnull=False).values_list("pk", flat=True)
        if pk not in have]
    Survey.objects.bulk_create(new)
    log(by, "governance.open_surveys", scheme, region_code=scheme.region_id,
        detail=f"{scheme.code}: {len(new)}")
    return len(new)


def normalise_household(text: str) -> str:
    """'3号楼 2单元 501' and '3-2-501' are the same household."""
    digits = "".join(c if c.isdigit() else " " for c in (text or "")).split()
    return "-".join(str(int(d)) for d in digits)[:40]


def do_answer_survey(survey: Survey, *, household: str, answers: dict[str, int],
                     day: dt.date | None = None) -> SurveyAnswer:
    """A household answers its compound's questionnaire; a second answer is refused (the
    database constraint survey_one_answer_per_household decides, not a prior read)."""
    key = normalise_household(household)
    if not key:
        raise ValidationError(_("请填写楼栋、单元和门牌号"))
    if not survey.open or survey.compound.property_company_id is None:
        raise ValidationError(_("该问卷已关闭"))
    codes = set(survey.scheme.items.filter(source=SchemeItem.Source.SURVEY)
                .values_list("code", flat=True))
    if set(answers) != codes or any(type(v) is not int or not 1 <= v <= 5 for v in answers.values()):
        raise ValidationError(_("请回答每个问题（1—5分）"))
    try:
        with transaction.atomic():
            return SurveyAnswer.objects.create(
                survey=survey, household=key, company_id=survey.compound.property_company_id,
                answers=answers, answered_on=day or timezone.localdate())
    except IntegrityError:
        raise ValidationError(_("该户已经填写过本问卷")) from None


def scheme_problems(weights: list[Decimal], bands: list[tuple[str, Decimal]]) -> list[str]:
    """What is wrong with a scheme's weights and grade bands (empty when it can score): every
    weight positive and together 100 points; bands named once each, minima between 0 and 100,
    strictly falling in the order given and ending at 0, so that every total gets a grade
    (scoring.grade_of)."""
    out = []
    if not weights:
        out.append(_("请至少设置一个考评项目"))
    if any(w <= 0 for w in weights):
        out.append(_("每个考评项目的分值须大于0"))
    total = sum(weights, Decimal(0))
    if weights and total != 100:
        out.append(_("各项分值合计应为100分，现为%(t)s分") % {"t": f"{total.normalize():f}"})
    if not bands:
        out.append(_("请至少设置一个等次"))
        return out
    names = [n for n, _m in bands]
    if any(not n for n in names) or len(set(names)) != len(names):
        out.append(_("等次名称不能为空，也不能重复"))
    minima = [m for _n, m in bands]
    if any(not 0 <= m <= 100 for m in minima):
        out.append(_("等次最低分须在0到100之间"))
    if any(a <= b for a, b in zip(minima, minima[1:], strict=False)):
        out.append(_("等次须按最低分从高到低排列"))
    if minima[-1] != 0:
        out.append(_("最后一个等次的最低分应为0分"))
    return out


@transaction.atomic
def do_save_scheme(scheme: Scheme | None, *, by, items: list[dict],
                   bands: list[tuple[str, Decimal]], name: str, period: str,
                   code: str = "", region_id: str = "") -> Scheme:
    """Create a scheme (code and region given) or change one's name, period, bands and items.
    Items are matched by code: kept ones updated, new ones added, missing ones removed (their
    past scorecards keep the items they were computed with). All or nothing."""
    S = SchemeItem.Source
    problems = scheme_problems([Decimal(str(i["weight"])) for i in items],
                               [(str(n), Decimal(str(m))) for n, m in bands])
    codes = [i["code"] for i in items]
    if len(set(codes)) != len(codes):
        problems.append(_("考评项目代码不能重复"))
    for i in items:
        if i["source"] not in S.values:
            problems.append(_("评分来源无效"))
        elif i["source"] == S.CASES and i.get("metric") not in SchemeItem.Metric.values:
            problems.append(_("诉求办理项目须选择计算指标：%(n)s") % {"n": i["name"]})
        elif i["source"] != S.CASES and i.get("metric"):
            problems.append(_("只有诉求办理项目才有计算指标：%(n)s") % {"n": i["name"]})
    if problems:
        raise ValidationError(problems)
    if scheme is None:
        if Scheme.objects.filter(code=code).exists():
            raise ValidationError(_("方案代码已被使用"))
        scheme = Scheme.objects.create(code=code, region_id=region_id, name=name, period=period,
                                       bands=[])
    else:
        scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    scheme.name, scheme.period = name, period
    scheme.bands = [[str(n), int(m) if m == int(m) else float(m)] for n, m in bands]
    scheme.save(update_fields=["name", "period", "bands"])
    scheme.items.exclude(code__in=codes).delete()
    for k, i in enumerate(items):
        SchemeItem.objects.update_or_create(scheme=scheme, code=i["code"], defaults={
            "name": i["name"], "weight": Decimal(str(i["weight"])), "source": i["source"],
            "metric": i.get("metric") or "", "order": k})
    log(by, "governance.scheme", scheme, region_code=scheme.region_id,
        detail=f"{scheme.code}: {len(items)}")
    return scheme
