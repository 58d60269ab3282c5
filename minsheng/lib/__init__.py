"""The bottom floor: helpers every app may use, with public names only.

Nothing here imports an app (`minsheng.<app>`) or a model; the apps import from here, never the
other way round. Django itself (transactions, translation) may be used: this is Django code.

- `tabular`: reading xlsx/csv tables, one all-or-nothing `TableImport`, one `RowError` shape;
- `docx`: East-Asian fonts, runs and styles for Word documents;
- `money`: one formatter for 元 / 万元 / 亿元;
- `text`: Chinese numbers and dates;
- `http`: download responses and the rate limiter for public posting.
"""
