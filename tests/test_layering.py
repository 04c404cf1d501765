"""The package layering of docs/design.md, kept by reading every import of the project.

Sandbox at the bottom imports nothing of the project; configs (with the shared
`configs.registry` and `configs.run_paths`) imports nothing of the project and every layer above the sandbox may
read it; the inference stack (models, loaders with the tokenizers, sampling, generation
clients, JetStream, with `rl.sharding` and the `rl.baselines` references) and rl's
entry-point helpers (`rl.cli`, `rl.preflight`, `rl.metrics_log`, `rl.state_files`) import no data_gen,
curriculum or trainer module; data_gen imports the sandbox, the inference stack and those
helpers, never the trainer; curriculum imports data_gen and the sandbox but nothing of rl;
the trainer and the main job (the rest of rl) sit on top.

Every `import` and `from ... import` counts, at module level or inside a function, a
class or an `if TYPE_CHECKING:` block; text in strings does not.
"""
from __future__ import annotations

import ast
import dataclasses
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("sandbox", "configs", "rl", "data_gen", "curriculum")

# Longest prefix wins; "rl" (the rest of rl) is the trainer and the main job.
GROUPS = {
    "sandbox": "sandbox",
    "configs": "configs",
    "rl.models": "inference stack",
    "rl.loaders": "inference stack",
    "rl.sampling": "inference stack",
    "rl.generation": "inference stack",
    "rl.jetstream": "inference stack",
    "rl.sharding": "inference stack",     # the logical-axis rules the model's weights and KV cache use
    "rl.baselines": "inference stack",    # tunix references the benchmarks compare against
    "rl.cli": "rl helpers",               # --config parsing for every entry point, data_gen's included
    "rl.preflight": "rl helpers",
    "rl.metrics_log": "rl helpers",       # CSV / TensorBoard writers, also for the data report
    "rl.state_files": "rl helpers",       # atomic state files and the output directory's lock, also data_gen's
    "data_gen": "data_gen",
    "curriculum": "curriculum",
    "rl": "trainer",
}
ALLOWED = {
    "sandbox": set(),
    "configs": set(),
    "inference stack": {"rl package", "sandbox", "configs"},
    "rl helpers": {"inference stack", "rl package", "sandbox", "configs"},
    "data_gen": {"inference stack", "rl helpers", "rl package", "sandbox", "configs"},
    "curriculum": {"data_gen", "sandbox", "configs"},
    "trainer": {"inference stack", "rl helpers", "rl package", "data_gen", "curriculum", "sandbox", "configs"},
}
# rl/__init__.py runs on every import of an rl module, of any layer: it imports nothing.
NAMESPACE_PACKAGES = {"rl": set()}


@dataclasses.dataclass(frozen=True)
class Edge:
    path: str
    line: int
    importer: str
    imported: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} ({group(self.importer)}) imports {self.imported} " \
               f"({group(self.imported)})"


def group(module: str) -> str:
    if module in NAMESPACE_PACKAGES:
        return f"{module} package"
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        found = GROUPS.get(".".join(parts[:size]))
        if found:
            return found
    raise KeyError(module)


def module_name(path: pathlib.PurePath) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: pathlib.PurePath, source: str, known: set[str]) -> list[Edge]:
    """The project modules `source` (the file at `path`, relative to the root) imports."""
    importer = module_name(path)
    package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
    edges = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[:len(package) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            # `from rl import preflight` imports the module rl.preflight, not only the package rl
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target.split(".")[0] in PACKAGES:
                edges.append(Edge(str(path), node.lineno, importer, target))
    return edges


def forbidden(edges: list[Edge]) -> list[Edge]:
    bad = []
    for edge in edges:
        if edge.importer in NAMESPACE_PACKAGES:
            allowed = NAMESPACE_PACKAGES[edge.importer]
            if group(edge.imported) not in allowed:
                bad.append(edge)
            continue
        source, target = group(edge.importer), group(edge.imported)
        if target != source and target not in ALLOWED[source]:
            bad.append(edge)
    return bad


def project_files() -> dict[pathlib.PurePath, str]:
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            files[path.relative_to(ROOT)] = path.read_text()
    return files


def known_modules(paths) -> set[str]:
    return {module_name(path) for path in paths}


def test_no_import_crosses_the_layers_downwards_only():
    files = project_files()
    known = known_modules(files)
    edges = [edge for path, source in files.items() for edge in imports_of(path, source, known)]
    assert len(edges) > 500, "the import reader found too few imports to be reading the tree"
    bad = forbidden(edges)
    assert not bad, "forbidden imports (see docs/design.md, Package layering):\n" + "\n".join(map(str, bad))


def test_every_project_file_has_a_layer():
    for path in project_files():
        assert group(module_name(path)) in ALLOWED or module_name(path) in NAMESPACE_PACKAGES


def test_a_function_level_import_upwards_is_caught():
    source = ('"""from rl.train import train  (text in a docstring is no import)"""\n'
              "import json\n"
              "from curriculum.pools import Pool\n"
              "def f():\n"
              "    from rl.rollout import Rollout\n"
              "    from ..records import Problem\n"
              "    return Rollout\n")
    known = {"rl.rollout", "curriculum.pools", "data_gen.records"}
    edges = imports_of(pathlib.PurePath("data_gen/environments/demo.py"), source, known)
    assert [(e.line, e.imported) for e in edges] == [(3, "curriculum.pools"), (5, "rl.rollout"),
                                                      (6, "data_gen.records")]
    assert [str(e) for e in forbidden(edges)] == [
        "data_gen/environments/demo.py:3: data_gen.environments.demo (data_gen) imports curriculum.pools (curriculum)",
        "data_gen/environments/demo.py:5: data_gen.environments.demo (data_gen) imports rl.rollout (trainer)",
    ]


def test_from_package_import_module_names_the_module():
    edges = imports_of(pathlib.PurePath("curriculum/demo.py"), "from rl import preflight\nfrom rl import train\n",
                       {"rl.preflight"})
    assert [(e.imported, group(e.imported)) for e in edges] == [("rl.preflight", "rl helpers"), ("rl", "rl package")]
    assert len(forbidden(edges)) == 2   # curriculum imports nothing of rl, helpers included
