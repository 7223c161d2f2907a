"""People and the office holders their delegates act for (DOMAIN.md, Delegation)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InvalidInput, NotPermitted
from .workflow import Role


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    role: Role
    title: str = ""  # "Police and Crime Commissioner", "Staff officer to the Chief Constable"
    acting_for: str = ""  # a delegate names the office holder's email
    office: str = ""  # the id of the office they belong to; "" for a national reader
    language: str = ""  # the web app's language for them ('cy', 'en'); "" for the office's

    @property
    def is_delegate(self) -> bool:
        return bool(self.acting_for)


@dataclass(frozen=True)
class Directory:
    people: tuple[Person, ...]

    def __post_init__(self):
        seen: set[str] = set()
        for person in self.people:
            key = person.email.casefold()
            if key in seen:
                raise InvalidInput("people", f"{person.email} is listed twice")
            seen.add(key)
        for person in self.people:
            if person.acting_for:
                holder = self.find(person.acting_for)
                if holder is None or holder.is_delegate or holder.role != person.role:
                    raise InvalidInput(
                        "people", f"{person.email} acts for {person.acting_for}, who must be "
                        f"listed as an office holder with the role '{person.role}'")

    def find(self, email: str) -> Person | None:
        key = email.strip().casefold()
        return next((p for p in self.people if p.email.casefold() == key), None)

    def actor(self, email: str | None) -> Person:
        if not email:
            raise NotPermitted(
                "refused: no actor named; give --as EMAIL or set S55_USER")
        person = self.find(email)
        if person is None:
            raise NotPermitted(f"refused: {email} is not in the office's list of people")
        return person

    def holder_for(self, person: Person) -> Person:
        """The office holder a person acts as: themselves, or whom they deputise for."""
        return self.find(person.acting_for) if person.acting_for else person

    def holders(self, role: Role) -> list[Person]:
        return [p for p in self.people if p.role == role and not p.is_delegate]


def acting_phrase(person: Person, holder: Person) -> str:
    """'Sam Deputy for Ben Adams (Police and Crime Commissioner)', or the person alone."""
    if holder is person or holder.email == person.email:
        return f"{person.name} ({person.title or person.role})"
    return f"{person.name} for {holder.name} ({holder.title or holder.role})"
