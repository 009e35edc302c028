"""A production install (`./mailctl run`) gets requirements.txt alone: it must hold every package
the panel imports, and none of the tools only the tests, the benchmarks and the docs use
(requirements-dev.txt).  Both pin every package to one version with hashes, and agree where they
overlap, so installing both gives the panel the same packages as production."""
import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PANEL_PACKAGES = ("accounts", "api", "domains", "mailadmin", "mailstack", "selfservice", "webhooks")
DEV_TOOLS = {"pytest", "pytest-django", "aiosmtpd", "ruff", "playwright", "schemathesis", "hypothesis",
             "matplotlib", "numpy", "mkdocs"}
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", re.MULTILINE)


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(file: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) for each requirement in the file."""
    text = (ROOT / file).read_text()
    requirements = [line for line in text.splitlines() if line and not line.startswith((" ", "#", "-"))]
    found = {normalized(name): (version, hashes.count("--hash=")) for name, version, hashes in PIN.findall(text)}
    assert len(found) == len(requirements), f"{file}: a requirement that is not `name==version` with hashes"
    return found


def imported_modules() -> set[str]:
    """Top-level modules the panel's code imports, or installed ones its settings name (apps,
    middleware, backends, storages), or the database driver."""
    modules = set()
    for package in PANEL_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    modules.add(node.module.split(".")[0])

    def dotted_names(value):
        if type(value) is str and re.fullmatch(r"[A-Za-z_]\w*(\.\w+)*", value):
            yield value.split(".")[0]
        elif isinstance(value, dict):
            for item in value.values():
                yield from dotted_names(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from dotted_names(item)

    installed = packages_distributions()
    for name in dir(settings):
        if name.isupper():
            modules.update(module for module in dotted_names(getattr(settings, name)) if module in installed)
    if settings.DATABASES["default"]["ENGINE"].endswith("mysql"):
        modules.add("MySQLdb")
    local = {path.stem for path in ROOT.iterdir() if path.suffix == ".py" or (path / "__init__.py").exists()}
    return modules - set(sys.stdlib_module_names) - local


def test_the_run_time_set_holds_every_package_the_panel_imports():
    distributions = packages_distributions()
    runtime = pins("requirements.txt")
    unknown = {module for module in imported_modules() if module not in distributions}
    assert not unknown, f"imported but not installed: {unknown}"
    missing = {module: distributions[module] for module in imported_modules()
               if not any(normalized(dist) in runtime for dist in distributions[module])}
    assert not missing, f"imported by the panel but not in requirements.txt: {missing}"


def test_the_run_time_set_holds_no_test_benchmark_or_docs_tool():
    assert DEV_TOOLS.isdisjoint(pins("requirements.txt")), DEV_TOOLS & set(pins("requirements.txt"))
    assert DEV_TOOLS <= set(pins("requirements-dev.txt")), DEV_TOOLS - set(pins("requirements-dev.txt"))


def test_both_sets_pin_every_package_with_hashes_and_agree_where_they_overlap():
    runtime, development = pins("requirements.txt"), pins("requirements-dev.txt")
    for file, found in (("requirements.txt", runtime), ("requirements-dev.txt", development)):
        assert all(hashes for _, hashes in found.values()), f"{file}: a pin without hashes"
    shared = set(runtime) & set(development)
    assert shared, "requirements-dev.txt is compiled within requirements.txt (-c requirements.txt)"
    assert {name: development[name][0] for name in shared} == {name: runtime[name][0] for name in shared}
