"""The files in config/ load, and say what the law says."""

from datetime import date
from pathlib import Path

import yaml

from s55.config import load_kinds, load_office
from s55.domain.workflow import Role

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_the_police_kind_carries_the_s55_rules_and_fire_has_no_deadline():
    kinds = load_kinds(CONFIG)
    police, fire = kinds["police-s55"], kinds["fire-action-plan"]
    assert (police.statutory_period_days, police.period_applies_from) == (56, date(2017, 5, 2))
    assert police.answer_every_recommendation and police.copies_to == ("hmicfrs", "home_office")
    assert fire.statutory_period_days is None and not fire.answer_every_recommendation


def test_the_demo_office_has_every_role_and_delegates_name_their_office_holder():
    directory = load_office(CONFIG / "office.yaml").directory
    assert {p.role for p in directory.people} == set(Role) - {Role.NATIONAL, Role.OPERATOR}
    assert all(p.email.endswith("@example.org") for p in directory.people)
    deputy = directory.find("deputy.commissioner@example.org")
    assert directory.holder_for(deputy).name == "Ben Adams"


def test_every_deployment_entrypoint_is_a_prefect_flow():
    from prefect import Flow
    import importlib

    spec = yaml.safe_load((CONFIG / "prefect.yaml").read_text())
    for deployment in spec["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, name), Flow)


def test_a_delegate_of_nobody_is_refused_naming_the_file(tmp_path):
    import pytest

    from s55.domain.errors import InvalidInput

    office = tmp_path / "office.yaml"
    office.write_text(
        "office: X\nforce: X Police\nforce_id: x\nlocal_policing_body_title: Mayor\n"
        "chief_officer_title: Chief Constable\npeople:\n"
        "  - {email: a@example.org, name: A, role: local policing body,"
        " acting_for: b@example.org}\n")
    with pytest.raises(InvalidInput, match="acts for b@example.org"):
        load_office(office)
    office.write_text("people: [\n")
    with pytest.raises(InvalidInput, match="is not valid YAML"):
        load_office(office)


def test_the_forces_list_has_the_43_territorial_forces():
    from s55.config import load_forces

    forces = load_forces(CONFIG / "forces.csv")
    assert len(forces) == 43
    assert sum(f.welsh for f in forces) == 4
    assert {f.lpb_kind for f in forces} == {"PCC", "PFCC", "Mayor", "MOPAC", "Common Council"}


def test_a_forces_list_with_a_repeated_id_is_refused_naming_the_line(tmp_path):
    import pytest

    from s55.config import load_forces
    from s55.domain.errors import InvalidInput

    text = (CONFIG / "forces.csv").read_text().splitlines()
    (tmp_path / "forces.csv").write_text("\n".join(text + [text[1]]) + "\n")
    with pytest.raises(InvalidInput, match="forces.csv line 45"):
        load_forces(tmp_path / "forces.csv")
