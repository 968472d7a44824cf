"""The course installs and imports as promised: light import, matching dependency lists, data shipped."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from readme_support import normalised_make_commands, readme_blocks

try:
    import tomllib
except ImportError:  # Python 3.10 (the course's floor): the same parser, as vendored by pip
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


# conda-forge's name for a package -> its PyPI name, where they differ
# (https://anaconda.org/conda-forge/playwright-python: "Python version of the Playwright
# testing and automation library"; conda's "playwright" is in the microsoft channel, which
# environment.yml does not list)
CONDA_TO_PYPI = {"playwright-python": "playwright"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _floors(requirements) -> dict:
    """{name: version constraint}, e.g. {"numpy": ">=1.24"}; conda and pip write these alike."""
    return {_name(r): re.sub(r"\s", "", r.strip()[len(_name(r)):]) for r in requirements}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    # conda's channels cannot be reached from CI, so this is the check that environment.yml stays in step
    project = _project()
    pip_side = _floors(project["dependencies"] + project["optional-dependencies"]["test"])
    environment = _environment()
    conda_side = {CONDA_TO_PYPI.get(name, name): floor for name, floor in
                  _floors(d for d in environment["dependencies"] if isinstance(d, str)).items()}
    assert {"python", "pip"} <= conda_side.keys()
    del conda_side["python"], conda_side["pip"]
    assert conda_side.keys() == pip_side.keys()
    # and the same version floors: a conda learner gets no older library than a pip one
    assert conda_side == pip_side


def test_environment_yml_uses_conda_forge_names_from_conda_forge_only():
    environment = _environment()
    assert environment["channels"] == ["conda-forge"]
    names = {_name(d) for d in environment["dependencies"] if isinstance(d, str)}
    assert not names & set(CONDA_TO_PYPI.values()), "use conda-forge's name (CONDA_TO_PYPI), not PyPI's"


def test_environment_yml_installs_the_course_itself():
    pip_section = [d["pip"] for d in _environment()["dependencies"] if isinstance(d, dict)]
    assert pip_section == [["-e ."]], "environment.yml's pip section must install the course (-e .)"


def test_readme_conda_block_uses_this_file_and_the_pip_routes_commands():
    """The conda route cannot run here (its channels are unreachable): check what it names.

    It creates the environment from environment.yml, activates the name that file gives, and
    then runs the same lab and test commands as the plain-pip route, i.e. as make (checked
    against ``make -n`` in test_readme_commands.py).
    """
    (block,) = [b for b in readme_blocks() if "conda" in b.lead]
    argvs = block.argvs()
    assert argvs[0] == ["conda", "env", "create", "-f", "environment.yml"]
    assert argvs[1] == ["conda", "activate", _environment()["name"]]
    make = normalised_make_commands()
    lab = [c for c in make if c[:2] == ["jupyter", "lab"]]
    tests = [c for c in make if c[:3] == ["python", "-m", "pytest"]]
    assert argvs[2:] == lab + tests


def test_python_floor_matches():
    project = _project()
    environment = _environment()
    assert project["requires-python"] == ">=3.10"
    assert "python>=3.10" in environment["dependencies"]


def test_import_and_analyze_stay_light():
    code = ("import sys, course_lib as cl; cl.analyze(cl.zoo.resnet50()); cl.roofline(cl.zoo.alexnet(), 'GTX 1080'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets', 'torch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", ["analyze", "op_counts", "Conv2d", "Network", "roofline", "devices", "get_device",
                                  "ridge_point", "attainable_flops", "conv_output_size", "pool_output_size", "zoo",
                                  "svd_linear", "tucker2_conv", "cp_conv", "prune", "quantize"])
def test_contract_names_are_reachable(name):
    import course_lib as cl
    assert hasattr(cl, name), f"course_lib.{name} is part of the contract (COURSE.md section 3)"


def test_device_catalog_is_package_data_with_a_source_for_every_row():
    import course_lib as cl
    table = cl.devices()
    assert (table["source"].str.len() > 20).all()
    expected = {"GTX 580", "GTX 1080", "V100 SXM2 fp32", "V100 SXM2 fp16 tensor", "A100 SXM 80GB fp32", "H100 SXM fp32",
                "H200 SXM fp32", "RTX 4090 fp32", "Jetson AGX Orin 64GB int8", "TPU v1", "TPU v4",
                "Xeon E5345 (seeds)", "DDR4-2400 channel", "120 TFLOP/s example"}
    assert expected <= set(table["name"])
    assert table["name"].is_unique
