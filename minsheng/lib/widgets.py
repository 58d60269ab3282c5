"""Form widgets whose value the browser can read in every language.

`<input type="date">` accepts only ISO dates (YYYY-MM-DD) and shows an empty box for anything else;
Django renders a date with the active language's first input format (`2026/12/03` in Chinese), so
every date input of the site is one of these, never forms.DateInput with its default format.
"""

from __future__ import annotations

from django import forms

ISO_DATE = "%Y-%m-%d"
ISO_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateInput(forms.DateInput):
    """`<input type="date">` with an ISO value in every language."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):  # noqa: A002 - Django's argument name
        super().__init__(attrs=attrs, format=format or ISO_DATE)


class DateTimeInput(forms.DateTimeInput):
    """`<input type="datetime-local">` with an ISO value in every language."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):  # noqa: A002 - Django's argument name
        super().__init__(attrs=attrs, format=format or ISO_DATETIME_LOCAL)
