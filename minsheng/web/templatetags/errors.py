"""For the error pages, which Django renders without a request or context."""

from __future__ import annotations

from django import template

from minsheng.web.middleware import current_request_id

register = template.Library()


@register.simple_tag
def request_id() -> str:
    """The id of the request being answered (as in its X-Request-ID header and the log)."""
    return current_request_id.get()
