"""Hypothesis profiles: ``dev`` explores new examples on every run; ``ci`` (chosen when the CI
environment variable is set, as .ci/run's caller does) is derandomized, so that a CI verdict is
repeatable and a failure found while developing is fixed rather than met by chance.

``XDG_CACHE_HOME`` points at a fresh folder for the session (and its subprocesses), so that no test
reads the user's proof cache or MNIST cache; a test that needs a cache of its own sets it again."""
import atexit
import os
import shutil
import tempfile

from hypothesis import settings

settings.register_profile("dev")
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_configure(config):
    folder = tempfile.mkdtemp(prefix="gradproof-tests-cache-")
    os.environ["XDG_CACHE_HOME"] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
