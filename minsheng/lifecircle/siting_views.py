"""Siting pages (being written)."""

from __future__ import annotations

from django.http import Http404


def siting(request):
    raise Http404


def proposal(request, pk: int):
    raise Http404


def to_project(request, pk: int):
    raise Http404
