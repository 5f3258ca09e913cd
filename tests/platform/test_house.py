"""The house rules a newcomer relies on (issue 16), held by reading the code: where each kind of code lives.

- ``shared/`` imports no service, and no service imports another (they talk through events and HTTP);
- role checks come from the one matrix (``shared/permissions.py``) through each package's ``auth.py``: no router
  builds its own;
- no module of the services (nor of shared/) passes 450 lines without saying why at its top
  (``# Over N lines on purpose: ...``).
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {
    "gateway": "api_gateway",
    "receivables": "services/receivables",
    "dunning": "dunning_service",
    "messaging": "messaging_service",
    "alarms": "alarms_service",
    "webhooks": "services/webhooks",
    "portal": "services/portal",
}
PACKAGES = {name: path.replace("/", ".") for name, path in SERVICES.items()}
LONG = 450
SAYS_WHY = re.compile(r"^# Over \d+ lines on purpose: \S", re.MULTILINE)


def _modules(path: str) -> list[Path]:
    return sorted(p for p in (ROOT / path).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(), str(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _is_package(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_shared_imports_no_service():
    offenders = [
        f"{module.relative_to(ROOT)} imports {name}"
        for module in _modules("shared")
        for name in _imports(module)
        if any(_is_package(name, package) for package in PACKAGES.values())
    ]
    assert not offenders, "\n".join(offenders)


def test_no_service_imports_another():
    offenders = []
    for service, path in SERVICES.items():
        others = [package for name, package in PACKAGES.items() if name != service]
        for module in _modules(path):
            for name in _imports(module):
                if any(_is_package(name, other) for other in others):
                    offenders.append(f"{module.relative_to(ROOT)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_routers_take_their_roles_from_their_package_auth():
    """A role dependency is built only in an ``auth.py`` (``CustomerWrite = ...require("customers", "write")``),
    or by a service's own ``require`` adapter over ``require_of`` (the gateway's, for its ``Principal``)."""
    offenders = []
    for path in SERVICES.values():
        for module in _modules(path):
            tree = ast.parse(module.read_text(), str(module))
            adapters = {
                id(call)
                for function in ast.walk(tree)
                if isinstance(function, ast.FunctionDef) and function.name == "require"
                for call in ast.walk(function)
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    called = node.func.id
                    built_here = called in {"require", "require_of"} and module.name != "auth.py"
                    if called == "require_roles" or (built_here and id(node) not in adapters):
                        offenders.append(f"{module.relative_to(ROOT)}:{node.lineno} calls {called}")
    assert not offenders, "\n".join(offenders)


def test_no_module_passes_450_lines_without_saying_why():
    offenders = []
    for path in [*SERVICES.values(), "shared"]:
        for module in _modules(path):
            text = module.read_text()
            lines = text.count("\n")
            if lines > LONG and not SAYS_WHY.search("\n".join(text.splitlines()[:5])):
                offenders.append(f"{module.relative_to(ROOT)}: {lines} lines")
    assert not offenders, "\n".join(offenders)
