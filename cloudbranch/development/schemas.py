"""API schema pieces shared by the development areas."""

from ninja import Schema


class PersonUnitOut(Schema):
    """The person a record belongs to and their current unit (select_related("person__unit"))."""

    person_id: int
    person_name: str
    unit_id: int
    unit_name: str

    @staticmethod
    def resolve_person_id(obj) -> int:
        return obj.person.pk

    @staticmethod
    def resolve_person_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_unit_id(obj) -> int:
        return obj.person.unit_id

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return obj.person.unit.name
