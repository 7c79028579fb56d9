"""The project's shape: rooms by concern, imports in one direction, no circles, and a map that stays true.

The import graph is read from the source with `ast` (every `import`, including those inside functions, since a
lazy import still ties two modules together), so the check needs no running code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "clients", "conflicts", "crm")
FLOOR = "crm.core"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


MODULES = {_module_name(path): path for path in _project_files()}


def _imported_modules(module: str, path: Path) -> set[str]:
    """Return the project modules that `module` imports (a `from x import y` counts x.y when y is a module)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for name in names:
            # `import crm.trust.formula` also imports its parents; the deepest project module is the edge.
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH = {module: _imported_modules(module, path) for module, path in MODULES.items()}


def _imports_of(prefix: str) -> Iterator[tuple[str, str]]:
    for module, targets in GRAPH.items():
        if module == prefix or module.startswith(prefix + "."):
            for target in targets:
                yield module, target


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _cycles() -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            # A package's __init__ importing its own submodules is how Python packages work, not a circle.
            if _within(target, node):
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return components


def test_the_import_graph_was_read() -> None:
    # Guards the checks below against passing on an empty graph.
    assert "crm.trust.formula" in MODULES
    assert "crm.trust.formula" in GRAPH["crm.trust.health"]
    assert "crm.reminders.outbox" in GRAPH["crm.reminders.tasks"]


def test_no_import_circles() -> None:
    assert _cycles() == []


# The ground floor: every app may import it, it imports no room (only the standard library and Django).
FLOOR = "crm.core"
# The floor modules without Django, which the pure trust formula (and crm/payments/interest.py) may import.
PLAIN_FLOOR = {"crm.core", "crm.core.days", "crm.core.rules"}


@pytest.mark.parametrize(
    ("lower", "upper"),
    [("clients", "conflicts"), ("clients", "crm"), ("conflicts", "crm")],
)
def test_apps_import_in_one_direction(lower: str, upper: str) -> None:
    # `crm.core` is the floor under all three apps, not a room of crm.
    assert [
        edge for edge in _imports_of(lower) if _within(edge[1], upper) and not _within(edge[1], FLOOR)
    ] == []


def test_the_floor_imports_no_room() -> None:
    assert FLOOR in MODULES and set(MODULES) >= PLAIN_FLOOR
    assert [edge for edge in _imports_of(FLOOR) if not _within(edge[1], FLOOR)] == []


def test_the_plain_floor_imports_nothing_of_django() -> None:
    for module in sorted(PLAIN_FLOOR):
        tree = ast.parse(MODULES[module].read_text())
        assert {name for name in _top_imports(tree) if name.split(".")[0] == "django"} == set(), module
        assert GRAPH[module] <= PLAIN_FLOOR, module


def _top_imports(tree: ast.AST) -> set[str]:
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return imported | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_no_module_imports_a_private_name_of_another() -> None:
    """A `_helper` used by another module belongs on the floor under its public name (`from x import _y`)."""
    offenders = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            # Relative or project imports: what a third-party package keeps private is its own business.
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").split(".")[0] in PACKAGES
            ):
                offenders += [
                    f"{module}: from {node.module} import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert offenders == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        # Reminders and the web app use trust health, never the reverse.
        ("crm.trust", "crm.web"),
        ("crm.trust", "crm.reminders"),
        # The two rooms that use trust are siblings: neither reaches into the other.
        ("crm.web", "crm.reminders"),
        ("crm.reminders", "crm.web"),
        # The API uses the book and trust health; nothing but config/urls.py uses it, and it reaches into neither
        # sibling.
        ("crm.api", "crm.web"),
        ("crm.api", "crm.reminders"),
        ("crm.trust", "crm.api"),
        ("crm.reminders", "crm.api"),
        ("crm.models", "crm.api"),
        # The outbox delivers capture's status updates through the freelancer's SMTP (a registered kind); mail
        # capture never reaches back into the reminders.
        ("crm.capture", "crm.reminders"),
        # The models are the bottom of crm: they import no behaviour.
        ("crm.models", "crm.trust"),
        ("crm.models", "crm.web"),
        ("crm.models", "crm.reminders"),
    ],
)
def test_packages_import_in_one_direction(package: str, forbidden: str) -> None:
    edges = [edge for edge in _imports_of(package) if _within(edge[1], forbidden)]
    assert [edge for edge in edges if edge not in ALLOWED_EDGES] == []


# The one "status update sent" action (a web action, with its undo) takes the draft's form and hands a status
# update sent from the app to the outbox's Celery edge: the only two web → reminders edges.
ALLOWED_EDGES = {
    ("crm.web.views.actions", "crm.reminders.forms"),
    ("crm.web.views.actions", "crm.reminders.tasks"),
}


def test_the_outbox_reaches_each_kind_only_through_its_registry() -> None:
    """`crm/reminders/kinds.py` is the fixed list of dispatch kinds; the outbox imports it and no kind module, so
    a reader finds every kind (its builder and after-send step) from one import."""
    kinds = {module for module in GRAPH["crm.reminders.kinds"] if _within(module, "crm.reminders")}
    kinds |= {module for module in GRAPH["crm.reminders.kinds"] if _within(module, "crm.capture")}
    assert "crm.reminders.kinds" in GRAPH["crm.reminders.outbox"]
    assert {
        "crm.reminders.digest",
        "crm.reminders.status_updates",
        "crm.reminders.payment_follow_up",
    } <= kinds
    assert GRAPH["crm.reminders.outbox"] & kinds == set()
    # No kind module imports the outbox back (the registry is read by the outbox, not filled by its kinds).
    assert [kind for kind in kinds if "crm.reminders.outbox" in GRAPH[kind]] == []


def test_capture_and_reminders_do_not_import_each_other() -> None:
    """The circle of issue 21: the outbox imported capture's sending and capture's views the reminders."""
    one_way = any(_within(target, "crm.capture") for _module, target in _imports_of("crm.reminders"))
    other_way = any(_within(target, "crm.reminders") for _module, target in _imports_of("crm.capture"))
    assert not (one_way and other_way)


def test_the_trust_formula_is_plain_python() -> None:
    # It shares the rules of the plain floor (crm.core.rules, crm.core.days), and nothing else of the project.
    tree = ast.parse(MODULES["crm.trust.formula"].read_text())
    imported = {name for name in _top_imports(tree) if name.split(".")[0] in {"django", *PACKAGES}}
    assert imported - PLAIN_FLOOR == set()
    assert GRAPH["crm.trust.formula"] <= PLAIN_FLOOR


def test_crm_root_holds_few_modules() -> None:
    modules = sorted(path.name for path in (ROOT / "crm").glob("*.py"))
    assert len(modules) <= 8, modules


def test_no_prefixed_sibling_of_a_package() -> None:
    """`views/` beside `views_reminders.py` says a room is missing: a module belongs inside its package."""
    offenders = []
    for package in PACKAGES:
        for folder in [ROOT / package, *(p for p in (ROOT / package).rglob("*") if p.is_dir())]:
            subpackages = {p.name for p in folder.iterdir() if (p / "__init__.py").exists()}
            for module in folder.glob("*.py"):
                stem = module.stem
                if any(stem.startswith(f"{name}_") for name in subpackages):
                    offenders.append(str(module.relative_to(ROOT)))
    assert offenders == []


def test_the_architecture_map_names_only_what_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = set(
        re.findall(r"`((?:config|clients|conflicts|crm|templates|tests|docs|bench)/[\w/.\-]*)`", text)
    )
    assert len(named) > 20, "the map should name the files"
    missing = sorted(path for path in named if not (ROOT / path.rstrip("/")).exists())
    assert missing == []


def test_the_architecture_map_names_every_crm_package() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    packages = sorted(
        p.relative_to(ROOT).as_posix() + "/" for p in (ROOT / "crm").iterdir() if (p / "__init__.py").exists()
    )
    assert [package for package in packages if f"`{package}`" not in text] == []


def test_readme_links_the_architecture_map() -> None:
    assert "docs/architecture.md" in (ROOT / "README.md").read_text()


def test_tests_follow_the_code_map() -> None:
    """A test of `crm/<room>/…` lives in `tests/<room>/`; only cross-cutting tests stay at the top."""
    for room in ("trust", "reminders", "web", "api", "capture"):
        assert (ROOT / "tests" / room / "__init__.py").exists()
        assert list((ROOT / "tests" / room).glob("test_*.py"))


def test_nothing_imports_a_management_command() -> None:
    """A command is an edge, like a view: what two edges share lives in a room both import."""
    commands = "crm.management.commands"
    importers = [
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if _within(target, commands) and not _within(module, commands)
    ]
    assert importers == []


def test_the_web_app_takes_only_the_sample_of_the_demo() -> None:
    """Onboarding needs the sample book, not the large generated books nor the seeding command's tools."""
    taken = {target for _module, target in _imports_of("crm.web") if _within(target, "crm.demo")}
    assert taken == {"crm.demo.sample"}
    assert GRAPH["crm.demo"] == set()  # the package itself imports nothing, so importing a part takes only it


# The faces: what a person meets (the freelancer's app, the API, the client's page), and the pages the rooms draw
# for the freelancer's app. Each face stands on the floors (the models, trust, the rooms' plain modules) and
# imports no other face; they meet only in config/urls.py, which gives each its namespace.
FACES = {
    "web": ("crm.web",),
    "api": ("crm.api",),
    "portal": ("crm.portal",),
    "reminders pages": ("crm.reminders.views", "crm.reminders.urls"),
    "capture pages": ("crm.capture.views", "crm.capture.urls"),
    "dataio pages": ("crm.dataio.views", "crm.dataio.urls"),
    "evidence pages": ("crm.evidence.views", "crm.evidence.urls"),
}


def _face_of(module: str) -> str | None:
    return next((face for face, roots in FACES.items() if any(_within(module, root) for root in roots)), None)


def test_the_faces_are_found() -> None:
    # Guards the rule below against a renamed module that no face claims any more.
    for roots in FACES.values():
        assert all(any(_within(module, root) for module in MODULES) for root in roots), roots


def test_faces_import_no_faces() -> None:
    crossings = [
        (module, target)
        for module, targets in GRAPH.items()
        for target in targets
        if _face_of(module) and _face_of(target) and _face_of(module) != _face_of(target)
    ]
    assert crossings == []


def test_only_the_project_urls_include_a_faces_urls() -> None:
    url_modules = {module for module in MODULES if module.startswith("crm.") and module.endswith(".urls")}
    assert len(url_modules) >= 5
    importers = sorted(
        {module for module, targets in GRAPH.items() for target in targets if target in url_modules}
    )
    assert importers == ["config.urls"]


# -- every path named in a comment exists ----------------------------------------------------------------------

COMMENTED = (*PACKAGES, "bench", "tests")
NAMED_PATH = re.compile(
    r"(?<![\w/.@-])((?:config|clients|conflicts|crm|bench|tests|templates|docs|deploy|static|locale)/[^\s`'\"()\[\],;:]*)"
)
NAMED_MODULE = re.compile(r"(?<![\w/.@-])((?:config|clients|conflicts|crm|bench|tests)(?:\.[A-Za-z_]\w*)+)")
# "clients.csv" names a file, not a module.
FILE_SUFFIXES = {
    "csv",
    "json",
    "zip",
    "vcf",
    "ics",
    "eml",
    "mbox",
    "html",
    "txt",
    "py",
    "md",
    "png",
    "example",
}
PLACEHOLDERS = set("<>{}*…")


COMMENT = re.compile(r"(?:^|\s)#(.*)$", re.MULTILINE)
DOCSTRING = re.compile(r'"""(.*?)"""', re.DOTALL)


def _comments_and_docstrings(path: Path) -> Iterator[tuple[int, str]]:
    """Yield each comment and triple-quoted string (docstrings) with its line; read as text, which is fast."""
    source = path.read_text()
    for pattern in (COMMENT, DOCSTRING):
        for match in pattern.finditer(source):
            yield source.count("\n", 0, match.start()) + 1, match.group(1)


def _all_modules() -> dict[str, Path]:
    found = {}
    for package in COMMENTED:
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    return found


@cache
def _top_level_names(path: Path) -> frozenset[str]:
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {target.id for target in targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return frozenset(names)


def _task_names() -> set[str]:
    """Return the Celery task names given in the source (`@shared_task(name="crm.…")`): dotted, not modules."""
    pattern = re.compile(r"""(?:shared_task|\.task)\([^)]*name=["']([\w.]+)["']""")
    return {name for path in (ROOT / "crm").rglob("tasks.py") for name in pattern.findall(path.read_text())}


def _module_exists(name: str, modules: dict[str, Path]) -> bool:
    """A dotted name exists when its longest module prefix defines the next part (a model label counts too)."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if module in modules:
            rest = parts[cut:]
            if not rest:
                return True
            if rest[0] in _top_level_names(modules[module]):
                return True
            models = modules.get(f"{module}.models")  # "clients.Contact": an app label and its model
            return cut == 1 and len(rest) == 1 and models is not None and rest[0] in _top_level_names(models)
    return False


def _ignored_paths() -> set[str]:
    """Return what .gitignore names exactly (generated files a comment may mention: bench/results.json)."""
    lines = (ROOT / ".gitignore").read_text().splitlines()
    return {line.strip().rstrip("/") for line in lines if "/" in line.strip().rstrip("/")}


def _stale_references() -> list[str]:
    modules, tasks, ignored = _all_modules(), _task_names(), _ignored_paths()
    stale = []
    for package in COMMENTED:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # frozen history: it may name what was there then
            where = path.relative_to(ROOT)
            for line, text in _comments_and_docstrings(path):
                for named in NAMED_PATH.findall(text):
                    named = named.rstrip(".")
                    if PLACEHOLDERS & set(named) or named in ignored:
                        continue
                    # A template is named as the template loader reads it: "crm/items.html".
                    if not any((base / named.rstrip("/")).exists() for base in (ROOT, ROOT / "templates")):
                        stale.append(f"{where}:{line}: {named}")
                for named in NAMED_MODULE.findall(text):
                    if named.rsplit(".", 1)[-1] in FILE_SUFFIXES or named in tasks:
                        continue
                    if not _module_exists(named, modules):
                        stale.append(f"{where}:{line}: {named}")
    return stale


def test_the_reference_check_sees_a_stale_path() -> None:
    # Guards the check below: the stale names of issue 21 would be found.
    assert not _module_exists("crm.onboarding", _all_modules())
    assert _module_exists("crm.trash.kinds.KINDS", _all_modules())
    assert _module_exists("clients.Contact", _all_modules())
    assert NAMED_PATH.findall("see crm/urls.py.") == ["crm/urls.py."]
    assert not (ROOT / "crm/urls.py").exists()


def test_every_path_named_in_a_comment_exists() -> None:
    """Paths (`crm/web/fragments.py`, `templates/…`) and modules (`crm.trust.formula`) in comments and docstrings."""
    assert _stale_references() == []


# -- trust health moves through the journal's door, never from a receiver ----------------------------------------

MODEL_SIGNALS = {"pre_save", "post_save", "pre_delete", "post_delete", "m2m_changed"}
RECOMPUTES = {
    "recompute_client",
    "recompute_clients",
    "recompute_book",
    "journal_changed",
    "refresh_contact_times",
}


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def _receivers_that_recompute(source: str) -> list[str]:
    """Return the model-signal receivers of `source` that call a recompute, directly or through a function of the
    same module (`signal.connect(f)` or `@receiver(signal)`)."""
    tree = ast.parse(source)
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    receivers = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connect"
        ):
            signal = node.func.value
            if isinstance(signal, ast.Name) and signal.id in MODEL_SIGNALS and node.args:
                receivers.add(getattr(node.args[0], "id", ""))
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and getattr(decorator.func, "id", "") == "receiver"
                    and any(getattr(arg, "id", "") in MODEL_SIGNALS for arg in decorator.args)
                ):
                    receivers.add(node.name)
    offenders = []
    for name in sorted(receivers & set(functions)):
        called = _called_names(functions[name])
        called |= {c for helper in called & set(functions) for c in _called_names(functions[helper])}
        if called & RECOMPUTES:
            offenders.append(name)
    return offenders


def test_the_receiver_check_finds_a_recompute() -> None:
    source = (
        "def changed(sender, instance, **kw):\n    _rescore(instance)\n"
        "def _rescore(instance):\n    recompute_client(instance.client_id)\n"
        "post_save.connect(changed, sender=Promise)\n"
    )
    assert _receivers_that_recompute(source) == ["changed"]


def test_no_model_signal_receiver_recomputes_trust_health() -> None:
    """Trust health moves through `crm.trust.door.journal_changed`, called where the journal changes: a reader
    follows a click to its effect through imports, and no save recomputes behind the caller's back."""
    offenders = {
        module: found
        for module, path in MODULES.items()
        if (found := _receivers_that_recompute(path.read_text()))
    }
    assert offenders == {}
