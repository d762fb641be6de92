"""Hypothesis settings for the fuzz tests: LECTURELAB_FUZZ_EXAMPLES examples a test (50 by
default, deterministic; `make stress` sets 2000 and draws new examples each run)."""

import os

from hypothesis import HealthCheck, settings

EXAMPLES = os.environ.get("LECTURELAB_FUZZ_EXAMPLES")

settings.register_profile(
    "lecturelab", max_examples=int(EXAMPLES or 50), deadline=None, database=None,
    derandomize=EXAMPLES is None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("lecturelab")
