"""Reads of dashboards and exports from a PostgreSQL read replica, never stale after a write.

Off unless MINSHENG_REPLICA_URL is set (settings.py then adds the "replica" database, this
router and this middleware). The rules:

- only views named in REPLICA_VIEWS (fnmatch patterns of URL names) may read from the replica;
  every other view, the workers and the commands read from the primary;
- every write goes to the primary and pins the rest of the request to it;
- a browser that wrote (any write, or any POST) carries a cookie for REPLICA_PIN_SECONDS that
  pins its requests to the primary meanwhile, so a page never shows data older than its own
  write while the replica catches up (set the seconds above the replica's usual lag).

The state is one ContextVar per request (threads and async tasks each see their own).
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass
from fnmatch import fnmatchcase

from django.conf import settings

__all__ = ["COOKIE", "REPLICA", "REPLICA_VIEWS", "ReplicaMiddleware", "ReplicaRouter",
           "replica_allowed"]

REPLICA = "replica"
PRIMARY = "default"
COOKIE = "minsheng_primary"
REPLICA_VIEWS = ("*:dashboard", "*:export", "*:stats", "casestats:*", "reports:download")
# Bookkeeping every request may write (the session saved on each request, the cache table, the
# log-in lock-out, the task queue): always on the primary, and writing it pins nothing.
PRIMARY_ONLY = frozenset({"sessions", "django_cache", "axes", "django_q"})


@dataclass
class _State:
    eligible: bool = False  # this view may read from the replica
    pinned: bool = False  # this request (or this browser, lately) wrote: primary only
    wrote: bool = False


_state: ContextVar[_State | None] = ContextVar("minsheng_replica", default=None)


def replica_allowed() -> bool:
    state = _state.get()
    return state is not None and state.eligible and not state.pinned


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY:
            return PRIMARY
        return REPLICA if replica_allowed() else PRIMARY

    def db_for_write(self, model, **hints):
        state = _state.get()
        if state is not None and model._meta.app_label not in PRIMARY_ONLY:
            state.pinned = state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY  # the replica copies the primary's schema


class ReplicaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pinned_until = request.COOKIES.get(COOKIE, "")
        state = _State(pinned=request.method not in ("GET", "HEAD", "OPTIONS") or (
            pinned_until.isdigit() and int(pinned_until) > time.time()))
        token = _state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _state.reset(token)
        if state.wrote or request.method not in ("GET", "HEAD", "OPTIONS"):
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_cookie(COOKIE, str(int(time.time()) + seconds), max_age=seconds,
                                httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        state = _state.get()
        match = getattr(request, "resolver_match", None)
        if state is not None and match is not None:
            state.eligible = any(fnmatchcase(match.view_name, p) for p in REPLICA_VIEWS)
