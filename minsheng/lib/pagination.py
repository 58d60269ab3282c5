"""A paginator for lists that may hold hundreds of thousands of rows (a district's cases).

Counting every row of a large list is most of a page's time, and the exact number past a few
thousand helps no one reading a page of 50: `CappedPaginator` counts at most `cap` rows (one
``COUNT(*)`` over a ``LIMIT cap + 1`` subquery, without the list's ordering) and says whether there
are more, so the page shows "10,000+" and offers the pages up to the cap; filters, the statistics
and the export give the exact figures.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator

__all__ = ["COUNT_CAP", "CappedPaginator"]

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self.capped = False

    @cached_property
    def count(self) -> int:
        n = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = n > self.cap
        return min(n, self.cap)

    @property
    def count_text(self) -> str:
        """The count as a page shows it: "10,000+" when there are more than the cap."""
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"
