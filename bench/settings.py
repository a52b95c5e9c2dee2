"""Revline's settings with the bench's URLconf: the product plus one trivial view."""

from revline import settings as _base

globals().update({name: getattr(_base, name) for name in dir(_base) if name.isupper()})

ROOT_URLCONF = "bench.urls"
