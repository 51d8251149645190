import datetime

from cloudbranch.people import idcard
from cloudbranch.people.validation import check_person

TODAY = datetime.date(2025, 6, 1)
BIRTH = datetime.date(1995, 3, 10)


def person(**overrides):
    data = {
        "name": "张三",
        "gender": "male",
        "category": "student",
        "political_status": "full",
        "id_number": idcard.make("110101", BIRTH, 3, "male"),
        "birth_date": BIRTH,
        "applied_on": datetime.date(2014, 3, 10),
        "activist_on": datetime.date(2014, 9, 1),
        "candidate_on": datetime.date(2015, 3, 1),
        "joined_on": datetime.date(2015, 6, 1),
        "confirmed_on": datetime.date(2016, 6, 1),
    }
    data.update(overrides)
    return data


def fields(errors):
    return {e["field"] for e in errors}


def test_valid_person_has_no_errors():
    assert check_person(person(), today=TODAY) == []


def test_dates_out_of_order():
    errors = check_person(person(joined_on=datetime.date(2015, 2, 1)), today=TODAY)
    assert "joined_on" in fields(errors)
    assert any("不能早于确定发展对象日期" in e["message"] for e in errors)


def test_future_dates_refused():
    errors = check_person(
        person(political_status="probationary", confirmed_on=None, joined_on=datetime.date(2025, 7, 1)), today=TODAY
    )
    assert any(e["field"] == "joined_on" and "不能晚于今天" in e["message"] for e in errors)


def test_age_at_application_at_least_18():
    errors = check_person(person(applied_on=datetime.date(2013, 3, 9)), today=TODAY)  # one day short of 18
    assert any(e["field"] == "applied_on" and "18" in e["message"] for e in errors)
    assert "applied_on" not in fields(check_person(person(applied_on=datetime.date(2013, 3, 10)), today=TODAY))


def test_status_needs_its_own_date():
    errors = check_person(person(confirmed_on=None), today=TODAY)
    assert "confirmed_on" in fields(errors)


def test_status_refuses_later_dates():
    errors = check_person(person(political_status="activist"), today=TODAY)
    assert {"candidate_on", "joined_on", "confirmed_on"} <= fields(errors)


def test_masses_with_no_dates_is_fine():
    data = person(
        political_status="masses",
        applied_on=None,
        activist_on=None,
        candidate_on=None,
        joined_on=None,
        confirmed_on=None,
    )
    assert check_person(data, today=TODAY) == []


def test_birth_date_must_agree_with_id():
    errors = check_person(person(birth_date=datetime.date(1995, 3, 11)), today=TODAY)
    assert "birth_date" in fields(errors)


def test_gender_must_agree_with_id():
    errors = check_person(person(gender="female"), today=TODAY)
    assert "gender" in fields(errors)


def test_bad_id_reported_on_the_field():
    errors = check_person(person(id_number="110101199503100000"), today=TODAY)
    assert "id_number" in fields(errors)


def test_bad_phone_and_missing_name():
    errors = check_person(person(name=" ", phone="12ab"), today=TODAY)
    assert {"name", "phone"} <= fields(errors)
