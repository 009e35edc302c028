"""docs/security.md maps each case of the security checklist to tests: every test it names must
exist, and every case must name at least one."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECURITY_PAGE = ROOT / "docs" / "security.md"
CASES = range(1, 25)
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
CASE_HEADING = re.compile(r"^### (\d+)\. ", re.MULTILINE)


def references_by_case() -> dict[int, list[tuple[str, str]]]:
    """{case number: [(test file, function name), ...]} in the order the page lists them."""
    _, *parts = CASE_HEADING.split(SECURITY_PAGE.read_text())  # the intro, then number, section, number, ...
    return {int(number): REFERENCE.findall(section) for number, section in zip(parts[::2], parts[1::2], strict=True)}


def all_references() -> list[tuple[str, str]]:
    return sorted({reference for references in references_by_case().values() for reference in references})


def function_names(path: Path) -> set[str]:
    """Functions at module level and methods of module-level classes."""
    tree = ast.parse(path.read_text(), filename=str(path))
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    names = set()
    for node in tree.body:
        if isinstance(node, functions):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(member.name for member in node.body if isinstance(member, functions))
    return names


def test_every_case_has_a_section_with_at_least_one_test():
    sections = references_by_case()
    assert sorted(sections) == list(CASES)
    assert [case for case in CASES if not sections[case]] == []


def test_every_named_test_exists():
    missing = [f"{test_file}::{name}" for test_file, name in all_references()
               if not (ROOT / test_file).is_file() or name not in function_names(ROOT / test_file)]
    assert missing == []
