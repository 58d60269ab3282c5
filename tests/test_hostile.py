"""The shared hostile-input corpus (tests/hostile.py) pushed through every form of the site.

Every Form and ModelForm class under `minsheng` is found by walking the packages (a new form is
tried without being listed here), built with what its constructor needs, and every text, number
and date field is bound to each hostile value in turn. The form must answer: never raise, refuse
control characters in every text field (and line breaks outside multi-line text), refuse numbers
that are not finite or that the database cannot hold, and refuse dates it cannot work with.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import math
import pkgutil
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model

import minsheng
from minsheng.assistance.models import ChangeRequest, Household
from minsheng.cases.models import CaseType, Holiday, Mediation
from minsheng.indicators.models import DataElement
from minsheng.lib.tabular import TableImport
from minsheng.lib.text import control_char
from minsheng.lib.validators import InputChecked, NoControlChars
from minsheng.places.models import Compound
from tests.hostile import CONTROL, EXTREME_DATES, FORM_TEXTS, NUMBERS, SURROGATE

pytestmark = pytest.mark.django_db

# the largest integer every database stores (PostgreSQL's bigint)
MAX_BIGINT = 2**63 - 1
FORM_MODULES = ("views", "forms", "registry")


def all_forms() -> list[type[forms.BaseForm]]:
    """Every form class defined under minsheng (views, *_views, forms modules)."""
    for m in pkgutil.walk_packages(minsheng.__path__, "minsheng."):
        last = m.name.rsplit(".", 1)[-1]
        if last in FORM_MODULES or last.endswith("_views"):
            importlib.import_module(m.name)
    seen, todo = [], [forms.Form, forms.ModelForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("minsheng.") and sub not in seen:
                seen.append(sub)
    return sorted(seen, key=lambda f: f"{f.__module__}.{f.__qualname__}")


FORMS = all_forms()


def _arguments() -> dict[str, object]:
    """What the forms' constructors ask for, by argument name, from the demo."""
    user = get_user_model().objects.get(username="district")
    return {"user": user, "types": list(CaseType.objects.all()),
            "compounds": Compound.objects.all(), "anonymous": True,
            "household": Household.objects.order_by("pk").first(),
            "mediation": Mediation.objects.order_by("pk").first(),
            "elements": list(DataElement.objects.all()[:5]), "items": ()}


def _parameters(form_class) -> dict[str, inspect.Parameter]:
    """The constructor's arguments, those a subclass passes on in **kwargs included."""
    out: dict[str, inspect.Parameter] = {}
    for klass in form_class.__mro__:
        if klass in (forms.BaseForm, forms.BaseModelForm) or "__init__" not in vars(klass):
            continue
        for name, p in inspect.signature(klass.__init__).parameters.items():
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                out.setdefault(name, p)
    return out


def build(form_class, data: dict, args: dict):
    """An instance of `form_class` bound to `data`, its required arguments filled from `args`."""
    positional, keywords = [], {}
    for name, p in _parameters(form_class).items():
        if p.default is not p.empty:
            if name in args and p.kind == p.KEYWORD_ONLY:
                keywords[name] = args[name]
            continue
        if name not in args:
            pytest.fail(f"{form_class.__qualname__}: teach _arguments() what `{name}` is")
        if p.kind == p.KEYWORD_ONLY:
            keywords[name] = args[name]
        else:
            positional.append(args[name])
    return form_class(*positional, data=data, files={}, **keywords)


def variants(form_class) -> list[dict]:
    """The argument sets a form is tried with: one, or one per kind for forms built by kind."""
    args = _arguments()
    if "kind" in _parameters(form_class) and form_class.__module__.startswith(
            "minsheng.assistance"):
        return [{**args, "kind": k} for k in ChangeRequest.Kind.values]
    return [args]


def fields_of(form_class, args) -> dict[str, forms.Field]:
    return build(form_class, {}, args).fields


def test_the_walk_finds_the_forms_of_every_module() -> None:
    modules = {f.__module__.split(".")[1] for f in FORMS}
    assert {"places", "projects", "cases", "lifecircle", "governance", "assistance",
            "employment", "indicators"} <= modules
    assert len(FORMS) >= 40


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f"{f.__module__}.{f.__qualname__}")
def test_every_form_checks_its_text_for_control_characters(form_class) -> None:
    assert issubclass(form_class, InputChecked), (
        f"{form_class.__qualname__}: derive from lib.validators.InputChecked first")
    assert form_class.__mro__.index(InputChecked) < form_class.__mro__.index(forms.BaseForm)


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f"{f.__module__}.{f.__qualname__}")
def test_hostile_values_in_every_field(form_class) -> None:
    tried = 0
    for args in variants(form_class):
        for name, field in fields_of(form_class, args).items():
            if isinstance(field, forms.FileField) or field.disabled:
                continue
            if isinstance(field, forms.CharField):
                tried += _text(form_class, args, name, field)
            elif isinstance(field, forms.IntegerField):  # Float and Decimal fields too
                tried += _number(form_class, args, name, field)
            elif isinstance(field, forms.DateField | forms.DateTimeField):
                tried += _date(form_class, args, name)
            elif isinstance(field, forms.ChoiceField):  # model choices: a pk or a code
                for value in [*NUMBERS, *CONTROL, SURROGATE, "x" * 5000]:
                    _bind(form_class, args, name, value)
                tried += 1
    if tried == 0:
        pytest.skip("no text, number, choice or date field")


def _bind(form_class, args, name: str, value: str):
    form = build(form_class, {name: value}, args)
    form.is_valid()  # must not raise, whatever the value
    return form


def _text(form_class, args, name: str, field: forms.Field) -> int:
    multiline = isinstance(field.widget, forms.Textarea)
    for value in [*FORM_TEXTS, SURROGATE]:
        form = _bind(form_class, args, name, value)
        if name in form.errors:
            continue
        # accepted: then clean (a lone control character may strip to nothing)
        got = form.cleaned_data.get(name)
        if isinstance(got, str):
            assert control_char(got, multiline=multiline) is None, (
                form_class.__qualname__, name, value, got)
    form = build(form_class, {}, args)
    form.is_valid()
    checks = [v for v in form.fields[name].validators if isinstance(v, NoControlChars)]
    assert checks and checks[0].multiline == multiline, (form_class.__qualname__, name)
    return 1


def _number(form_class, args, name: str, field: forms.Field) -> int:
    for value in NUMBERS:
        form = _bind(form_class, args, name, value)
        got = form.cleaned_data.get(name) if name not in form.errors else None
        if got is None:
            continue
        assert math.isfinite(got), (form_class.__qualname__, name, value, got)
        if isinstance(got, int):
            assert abs(got) <= MAX_BIGINT, (form_class.__qualname__, name, value, got)
        if isinstance(got, Decimal):
            assert abs(got) < Decimal(10) ** 16, (form_class.__qualname__, name, value, got)
    return 1


def _date(form_class, args, name: str) -> int:
    for value in EXTREME_DATES:
        form = _bind(form_class, args, name, value)
        got = form.cleaned_data.get(name) if name not in form.errors else None
        if isinstance(got, dt.datetime):
            got = got.date()
        if got is not None:
            # a date a year's arithmetic can still work with (timedelta, year ± 1, periods)
            assert dt.date(1900, 1, 1) <= got <= dt.date(2200, 12, 31), (
                form_class.__qualname__, name, value, got)
    return 1


# ── imports: every column parser of every TableImport ────────────────────────────────────────

IMPORT_MODULES = ("exchange", "monitoring_exchange", "payments", "rectification", "incidents")


def all_imports() -> list[type[TableImport]]:
    for m in pkgutil.walk_packages(minsheng.__path__, "minsheng."):
        if m.name.rsplit(".", 1)[-1] in IMPORT_MODULES:
            importlib.import_module(m.name)
    seen, todo = [], [TableImport]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.columns:
                seen.append(sub)
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__qualname__}")


IMPORTS = all_imports()


def test_the_walk_finds_the_imports() -> None:
    assert len(IMPORTS) >= 5


@pytest.mark.parametrize("importer", IMPORTS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_hostile_cells_in_every_import_column_are_row_errors(importer) -> None:
    """Each column's parser answers every hostile cell with a row error (the all-or-nothing
    import then writes nothing) or a value, never an exception, never a number that is not
    finite. (Control characters are refused earlier, by lib.tabular's reader for every cell:
    tests/lib/test_tabular.py.)"""
    imp = importer.__new__(importer)
    TableImport.__init__(imp)
    imp.use_mapping(dict(enumerate(importer.columns)))
    values = [*FORM_TEXTS, *NUMBERS, *EXTREME_DATES, SURROGATE]
    for value in values:
        imp.errors = []
        try:
            row = imp.parse(2, [value] * len(importer.columns))
        except AttributeError:  # a parse that needs what the importer's constructor sets
            pytest.skip("parse needs the importer's own state")
        refused = {e.column for e in imp.errors}
        for col in importer.columns:
            got = row.val.get(col.key)
            if isinstance(got, float) and col.header not in refused:
                assert math.isfinite(got), (importer.__qualname__, col.header, value, got)
            if isinstance(got, Decimal) and col.header not in refused:
                assert got.is_finite() and abs(got) < Decimal(10) ** 14, (
                    importer.__qualname__, col.header, value)


def test_every_back_office_form_checks_its_input(rf) -> None:
    """Each model admin of the back office (its change form, add form and inlines) has the checks
    of InputChecked, as every form of the site: the back office is an input path too."""
    request = rf.get("/admin/")
    request.user = get_user_model().objects.get(username="admin")
    assert len(admin.site._registry) > 30
    # the registry's committees have their (read-only) screens, checked below like every other
    registered = {m._meta.label_lower for m in admin.site._registry}
    assert {"governance.election", "governance.committeemember", "governance.cadre"} <= registered
    for model, model_admin in admin.site._registry.items():
        objects = [o for o in (model.objects.first(),) if o is not None]
        if model_admin.has_add_permission(request):
            objects.append(None)  # the add form
        for obj in objects:
            form = model_admin.get_form(request, obj)
            assert issubclass(form, InputChecked), (model, obj)
        for inline in model_admin.get_inline_instances(request):
            assert issubclass(inline.get_formset(request).form, InputChecked), (model, inline)


@pytest.mark.parametrize("value", ["\x07响铃", "元旦\u202e", "第一行\n第二行"])
def test_the_back_office_refuses_control_characters(client_for, value) -> None:
    before = Holiday.objects.count()
    r = client_for("admin").post("/admin/cases/holiday/add/", {
        "date": "2031-01-01", "kind": "holiday", "year": "2031", "name": value, "source": "测试"})
    assert r.status_code == 200  # the form again, with its error
    assert "控制字符" in r.content.decode() or "只能填一行文字" in r.content.decode()
    assert Holiday.objects.count() == before
    r = client_for("admin").post("/admin/cases/holiday/add/", {
        "date": "2031-01-01", "kind": "holiday", "year": "2031", "name": "元旦", "source": "测试"})
    assert r.status_code == 302 and Holiday.objects.count() == before + 1
