"""Hypothesis profiles: `make test` runs the derandomized "ci" profile, so it never flakes."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=12,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=12)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# gradient-table rows are imported by test_gradients.py, not collected on their own
collect_ignore_glob = ["rows_*.py"]
