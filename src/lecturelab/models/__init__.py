"""The classification zoo, one file per family; importing registers the entry points."""

from lecturelab.models import mlp  # noqa: F401
