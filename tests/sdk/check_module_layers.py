"""Each library module includes only the public headers of the la3d modules it declares in CMake.

The build (la3d_module(... DEPENDS ...)) writes every module's declared modules to
la3d_module_deps.txt; this reads it and every #include "la3d/<module>/..." under src/<module> and
include/la3d/<module>, and fails naming each include of a module that is not declared, directly
or through a declared one. The linker's --no-undefined catches what a module calls; this catches
what it includes (a header-only use would otherwise slip through).
Usage: check_module_layers.py SOURCE_DIR la3d_module_deps.txt
"""
import pathlib
import re
import sys


def main(root: pathlib.Path, deps_file: pathlib.Path) -> int:
    declared = {}
    for line in deps_file.read_text().splitlines():
        name, _, deps = line.partition(":")
        declared[name.strip()] = set(deps.split())
    if len(declared) < 2:
        print(f"{deps_file}: fewer than two modules listed")
        return 1

    def reachable(module):
        seen, todo = set(), [module]
        while todo:
            for dep in declared.get(todo.pop(), ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen

    include = re.compile(r'#\s*include\s*["<]la3d/([a-z_]+)/')
    problems, checked = [], 0
    for module in declared:
        allowed = reachable(module) | {module}
        for folder in (root / "src" / module, root / "include" / "la3d" / module):
            for path in sorted(folder.glob("*.[ch]pp")):
                for n, line in enumerate(path.read_text().splitlines(), 1):
                    m = include.search(line)
                    if not m:
                        continue
                    checked += 1
                    if m.group(1) not in allowed:
                        problems.append(f"{path.relative_to(root)}:{n}: module '{module}' includes "
                                        f"'{m.group(1)}', which it does not declare")
    for p in problems:
        print(p)
    if checked == 0:
        print("no la3d includes found: wrong source folder?")
        return 1
    print(f"{checked} includes in {len(declared)} modules checked, {len(problems)} outside the layers")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])))
