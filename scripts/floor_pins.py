"""Print each direct dependency of the package pinned at its floor, one `name==version` a line.

`make test-floors` installs the package with these pins to prove that every version range in
pyproject.toml is true: at the lowest versions it allows, the package installs, imports and
passes its smoke suite. A dependency without a `>=` floor is an error, not a silent skip.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
FLOOR = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)\s*(?:\[[^\]]*\])?\s*>=\s*(?P<version>[0-9][^,;\s]*)")


def floor_pins(dependencies: list[str]) -> list[str]:
    pins = []
    for dependency in dependencies:
        match = FLOOR.match(dependency)
        if match is None:
            raise SystemExit(f"{dependency!r} in {PYPROJECT.name} has no '>=' floor to pin")
        pins.append(f"{match['name']}=={match['version']}")
    return pins


if __name__ == "__main__":
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    sys.stdout.write("".join(f"{pin}\n" for pin in floor_pins(project["dependencies"])))
