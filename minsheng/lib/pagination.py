"""A paginator for lists that may hold hundreds of thousands of rows (a district's cases).

Counting every row of a large list is most of a page's time, and the exact number past a few
thousand helps no one reading a page of 50: `CappedPaginator` counts at most `cap` rows (one
``COUNT(*)`` over a ``LIMIT cap + 1`` subquery, without the list's ordering) and says whether there
are more, so the page shows "10,000+" and offers the pages up to the cap; filters, the statistics
and the export give the exact figures.

With ``ids_first``, a page is read in two steps: the primary keys of its rows (a query that
names only the filter and ordering columns, which PostgreSQL can answer from a covering index
without reading the rows), then those rows. Over millions of rows a filtered page otherwise
reads every matching row before it can sort them (bench/province_bench.py).
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet

__all__ = ["COUNT_CAP", "CappedPaginator"]

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int | None = None,
                 ids_first: bool = False, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self.capped = False
        self.ids_first = ids_first

    def _get_page(self, object_list, number, paginator):
        if self.ids_first and isinstance(object_list, QuerySet):
            ids = list(object_list.values_list("pk", flat=True))  # the page's slice of keys
            object_list = self.object_list.filter(pk__in=ids)  # in the list's own order
        return super()._get_page(object_list, number, paginator)

    @cached_property
    def count(self) -> int:
        n = self.object_list.order_by()[: self.cap + 1].count()
        self.capped = n > self.cap
        return min(n, self.cap)

    @property
    def count_text(self) -> str:
        """The count as a page shows it: "10,000+" when there are more than the cap."""
        return f"{self.count:,}+" if self.capped else f"{self.count:,}"
