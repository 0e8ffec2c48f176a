"""Hypothesis profiles: ``dev`` explores new examples on every run; ``ci`` (chosen when the CI
environment variable is set, as .ci/run's caller does) is derandomized, so that a CI verdict is
repeatable and a failure found while developing is fixed rather than met by chance."""
import os

from hypothesis import settings

settings.register_profile("dev")
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
