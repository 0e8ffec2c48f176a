"""Hypothesis profiles: ``dev`` explores new examples on every run; ``ci`` (chosen when the CI
environment variable is set, as .ci/run's caller does) is derandomized, so that a CI verdict is
repeatable and a failure found while developing is fixed rather than met by chance.

``XDG_CACHE_HOME`` points at a fresh folder for the test session, shared by the pytest-xdist
workers and every subprocess, so that no test reads the user's proof cache or MNIST cache, and a
theorem one worker proved through the cache is read by the other instead of proved again (the
cache's writes are atomic and its key is made once, race-free); a test that needs a cache of its
own (cold, or one it damages) sets it again.

``PYTHONSAFEPATH`` keeps a child Python from putting its working folder (often the checkout) first
on ``sys.path``: a child that imports ``derive`` instead of ``gradproof.derive`` fails, as it does
for a user, instead of importing the checkout's folder as a second copy of the code.

``XDG_DATA_HOME`` points at a fresh folder too (shared the same way), so that no test reads or
creates the user's proof-cache key."""
import atexit
import importlib.abc
import os
import shutil
import sys
import tempfile

from hypothesis import settings

settings.register_profile("dev")
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


class _OldNames(importlib.abc.MetaPathFinder):
    """The checkout's folders are importable from its root (pytest puts it on ``sys.path``) under
    their folder names; gradproof is installed as one package, so a test that imports ``derive``
    instead of ``gradproof.derive`` would test a second copy of the code. Refuse those names."""

    NAMES = {"derive", "numerics", "reports", "cli"}

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.NAMES:
            raise ImportError(f"tests import the installed package: use gradproof.{name}, not {name}")
        return None


sys.meta_path.insert(0, _OldNames())


def pytest_collection_modifyitems(config, items):
    """Slow tests first, the others in their order (a stable sort): pytest-xdist hands the tests out
    in this order, so the long ones start early and the workers finish together, instead of one
    running a long test at the end while the other waits."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


#: Set by the process that made the session's folders (pytest-xdist's controller, or pytest run
#: without -n); its workers inherit it with the folders, and only the maker removes them.
_SESSION = "GRADPROOF_TESTS_SESSION"


def pytest_configure(config):
    os.environ["PYTHONSAFEPATH"] = "1"
    made = os.environ.get(_SESSION, "")
    if os.environ.get("PYTEST_XDIST_WORKER") and made and made == os.environ.get("XDG_CACHE_HOME"):
        return  # a worker: the controller's folders
    folder = tempfile.mkdtemp(prefix="gradproof-tests-cache-")
    os.environ["XDG_CACHE_HOME"] = os.environ[_SESSION] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    data = tempfile.mkdtemp(prefix="gradproof-tests-data-")  # the proof cache's HMAC key
    os.environ["XDG_DATA_HOME"] = data
    atexit.register(shutil.rmtree, data, ignore_errors=True)
