"""The released package: a wheel and an sdist that carry the licence, and a wheel that works alone.

The clean venv gets the wheel (never an editable install of this checkout) and, pinned to the
versions of the venv running the tests, its dependencies: uv takes those from its cache, which
built the test venvs, so the check proves the wheel without downloading Airflow again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import distributions
from pathlib import Path

import pytest

from airflow_provider_clockwork import __version__
from tests.conftest import REPO

UV = Path(sys.executable).parent / "uv"
DIST = "airflow_provider_clockwork"


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    run(UV, "build", "--quiet", "--out-dir", out, REPO, cwd=out)
    (wheel,) = out.glob(f"{DIST}-{__version__}-*.whl")
    (sdist,) = out.glob(f"{DIST}-{__version__}.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_the_wheel_and_the_sdist_carry_the_licence(built) -> None:
    licence = (REPO / "LICENSE").read_text()
    with zipfile.ZipFile(built["wheel"]) as wheel:
        in_wheel = wheel.read(f"{DIST}-{__version__}.dist-info/licenses/LICENSE").decode()
    with tarfile.open(built["sdist"]) as sdist:
        member = sdist.extractfile(f"{DIST}-{__version__}/LICENSE")
        assert member is not None
        in_sdist = member.read().decode()

    assert "Apache License" in licence
    assert in_wheel == licence
    assert in_sdist == licence


def test_the_wheel_installed_alone_registers_the_provider_with_airflow(built, tmp_path) -> None:
    venv = tmp_path / "venv"
    pins = tmp_path / "pins.txt"
    pins.write_text(
        "".join(
            f"{d.metadata['Name']}=={d.version}\n"
            for d in distributions()
            if d.metadata["Name"] != DIST.replace("_", "-")
        )
    )
    run(UV, "venv", "--quiet", "--python", sys.executable, venv, cwd=tmp_path)
    run(
        UV,
        "pip",
        "install",
        "--quiet",
        "--python",
        venv / "bin" / "python",
        built["wheel"],
        "--constraint",
        pins,
        cwd=tmp_path,
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTHON", "VIRTUAL_ENV"))},
        "AIRFLOW_HOME": str(tmp_path / "home"),
    }

    where = run(
        venv / "bin" / "python", "-c", f"import {DIST}; print({DIST}.__file__)", cwd=tmp_path, env=env
    )
    providers = json.loads(
        run(venv / "bin" / "airflow", "providers", "list", "--output", "json", cwd=tmp_path, env=env)
    )

    assert Path(where.strip()).is_relative_to(venv), where
    assert {"package_name": "airflow-provider-clockwork", "version": __version__}.items() <= next(
        p for p in providers if p["package_name"] == "airflow-provider-clockwork"
    ).items()
