"""The bottom floor: helpers every app may use, with public names only.

Nothing here imports an app (`minsheng.<app>`) or a model; the apps import from here, never the
other way round. Django itself (transactions, translation) may be used: this is Django code.
"""
