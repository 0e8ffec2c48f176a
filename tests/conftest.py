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
creates the user's proof-cache key.

``MPLCONFIGDIR`` points at one more folder of the session: matplotlib keeps its font list there
(built once, in about a second), where it would otherwise build it again in every child process
that a test gives a cache folder of its own.

With ``-n``, the tests of a module run on one worker (``--dist loadscope``), and the modules of
:data:`SHARED` with them: what they share is built once."""
import atexit
import importlib.abc
import os
import shutil
import sys
import tempfile

import pytest
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
    for variable, prefix in (("XDG_DATA_HOME", "data"),  # the proof cache's HMAC key
                             ("MPLCONFIGDIR", "matplotlib")):
        os.environ[variable] = tempfile.mkdtemp(prefix=f"gradproof-tests-{prefix}-")
        atexit.register(shutil.rmtree, os.environ[variable], ignore_errors=True)


#: Modules run together on one pytest-xdist worker, as one unit of work: the first four share
#: session fixtures (the cold report, :func:`cold_report`, and the full report of
#: tests/reports/conftest.py, which reads the cold report's proof cache), the others look at the
#: proofs of the same identities (tests/derive/oracle.proof proves each once a process).
_GROUPS = {
    "reports": ("tests/cli/test_cli_report.py", "tests/reports/test_latex.py",
                "tests/reports/test_readme_reports.py", "tests/reports/test_browser.py"),
    "proofs": tuple(f"tests/derive/book/{name}.py" for name in (
        "test_registry", "test_backprop", "test_r_operator", "test_gauss_newton", "test_softmax")),
}
SHARED = {module: group for group, modules in _GROUPS.items() for module in modules}


@pytest.fixture(scope="session")
def cold_report(tmp_path_factory):
    """(folder, finished process) of :func:`tests.cold.cold_run`: the report is in ``folder/rep``,
    its proof cache and key in the folders :func:`tests.cold.homes` names."""
    from .cold import cold_run

    folder = tmp_path_factory.mktemp("cold")
    return folder, cold_run(folder)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope`` (pyproject's addopts), with the modules of :data:`SHARED` as one scope
    (tryfirst: before xdist's own hook, which would return the plain scheduler)."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return SHARED.get(module) or super()._split_scope(nodeid)

    return Scheduling(config, log)
