"""The AI-gather extractor: values for every JSON Schema type, read from natural answers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from emulator.fakes import spoken
from emulator.fakes.extraction import extract
from emulator.fakes.fields import leaves, normalized

TODAY = date(2026, 5, 14)  # a Thursday


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def read(schema: dict[str, Any], text: str, **kw: Any) -> dict[str, Any]:
    return extract(schema, text, today=TODAY, **kw)


def test_the_issue_sentence_gives_an_integer_and_a_place() -> None:
    schema = obj(age={"type": "integer"}, location={"type": "string"})
    assert read(schema, "I am 42 years old and I live in Chicago") == {"age": 42, "location": "Chicago"}
    assert read(schema, "Hello, I'm 29 and I live in Paris?") == {"age": 29, "location": "Paris"}


@pytest.mark.parametrize(
    ("text", "value"),
    [("forty two", 42), ("forty-two", 42), ("a hundred and twenty five", 125), ("twelve thousand three hundred and four", 12304),
     ("1,200", 1200), ("I have 7", 7)],
)
def test_integers_in_digits_and_words(text: str, value: int) -> None:
    assert read(obj(count={"type": "integer"}), text) == {"count": value}


def test_numbers_with_decimals_and_an_integer_field_refuses_a_fraction() -> None:
    assert read(obj(height={"type": "number"}), "three point five") == {"height": 3.5}
    assert read(obj(price={"type": "number"}), "it was $42.50") == {"price": 42.5}
    assert read(obj(count={"type": "integer"}), "three point five") == {}


def test_numbers_go_to_the_field_they_are_said_for() -> None:
    schema = obj(number_of_children={"type": "integer"}, age={"type": "integer"})
    assert read(schema, "I have 3 children and I'm forty") == {"number_of_children": 3, "age": 40}
    assert read(obj(seats={"type": "integer"}, age={"type": "integer"}), "my seats is 4, and I'm 30") == {"seats": 4, "age": 30}


def test_person_names_full_first_and_last() -> None:
    assert read(obj(name={"type": "string"}), "my name is Jane Doe") == {"name": "Jane Doe"}
    assert read(obj(name={"type": "string"}), "hi, this is Ada") == {"name": "Ada"}
    assert read(obj(name={"type": "string"}), "my name is jane doe") == {"name": "Jane Doe"}
    split = obj(first_name={"type": "string"}, last_name={"type": "string"})
    assert read(split, "My name is Jane Doe.") == {"first_name": "Jane", "last_name": "Doe"}
    assert read(obj(name={"type": "string"}), "I'm fine thanks") == {}


def test_places_by_the_property_name_or_description() -> None:
    assert read(obj(city={"type": "string"}), "I'm from New York") == {"city": "New York"}
    assert read(obj(where={"type": "string", "description": "Where the customer lives"}), "we live in lisbon") == {"where": "Lisbon"}
    assert read(obj(location={"type": "webhook"}), "I'm based in San Francisco and I'm 30") == {"location": "San Francisco"}


def test_emails_written_or_spelled_out() -> None:
    assert read(obj(email={"type": "string", "format": "email"}), "my email is jane@example.com.") == {"email": "jane@example.com"}
    assert read(obj(contact_email={"type": "string"}), "it's jane dot doe at example dot com") == {"contact_email": "jane.doe@example.com"}


def test_phone_numbers_written_or_said_digit_by_digit() -> None:
    assert read(obj(phone_number={"type": "string"}), "call me on +1 (312) 555-0100 please") == {"phone_number": "+13125550100"}
    assert read(obj(phone={"type": "string"}), "five five five, one two three four") == {"phone": "5551234"}


@pytest.mark.parametrize(
    ("text", "value"),
    [("on March 3rd 2026", "2026-03-03"), ("the twenty-first of June", "2026-06-21"), ("2026-12-01", "2026-12-01"),
     ("12/25/2026", "2026-12-25"), ("tomorrow", "2026-05-15"), ("the day after tomorrow", "2026-05-16"),
     ("next Thursday", "2026-05-21"), ("on Monday", "2026-05-18"), ("in two weeks", "2026-05-28")],
)
def test_dates_are_iso_and_relative_to_the_given_day(text: str, value: str) -> None:
    assert read(obj(appointment={"type": "string", "format": "date"}), text) == {"appointment": value}


def test_date_times_and_times() -> None:
    assert read(obj(at={"type": "string", "format": "date-time"}), "next Friday at 3 pm") == {"at": "2026-05-15T15:00:00Z"}
    assert read(obj(at={"type": "string", "format": "date-time"}), "March 3rd at 9:30 am") == {"at": "2026-03-03T09:30:00Z"}
    assert read(obj(slot={"type": "string", "format": "time"}), "around noon") == {"slot": "12:00:00"}
    assert read(obj(birthday={"type": "string"}), "my birthday is July 4th 1990") == {"birthday": "1990-07-04"}


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("Yes, I do.", True), ("sure", True), ("no", False), ("No, I don't", False), ("nope", False)])
def test_a_single_yes_no_field(text: str, value: bool) -> None:
    assert read(obj(agrees={"type": "boolean"}), text) == {"agrees": value}


def test_yes_no_fields_by_what_each_clause_says() -> None:
    schema = obj(has_insurance={"type": "boolean"}, smoker={"type": "boolean"})
    assert read(schema, "I have insurance but I don't smoke") == {"has_insurance": True, "smoker": False}
    assert read(obj(smoker={"type": "boolean"}, age={"type": "integer"}), "I am 42") == {"age": 42}


def test_enums_by_value_or_synonym_and_not_when_negated() -> None:
    plan = obj(plan={"type": "string", "enum": ["gold", "silver", "bronze"]})
    assert read(plan, "I'd like the Silver plan") == {"plan": "silver"}
    assert read(plan, "not gold, bronze please") == {"plan": "bronze"}
    assert read(obj(channel={"enum": ["email", "phone", "sms"]}), "just text me") == {"channel": "sms"}
    assert read(obj(method={"enum": ["credit_card", "bank_transfer"]}), "by bank transfer") == {"method": "bank_transfer"}
    assert read(obj(size={"enum": [1, 2, 3]}), "two please") == {"size": 2}


def test_arrays_of_strings_enums_and_numbers() -> None:
    assert read(obj(toppings={"type": "array", "items": {"type": "string"}}), "my toppings are ham, pineapple and olives") == {
        "toppings": ["ham", "pineapple", "olives"]
    }
    assert read(obj(allergies={"type": "array", "items": {"type": "string"}}), "I'm allergic to peanuts and shellfish.") == {
        "allergies": ["peanuts", "shellfish"]
    }
    assert read(obj(colors={"type": "array", "items": {"enum": ["red", "green", "blue"]}}), "blue and red") == {"colors": ["blue", "red"]}
    assert read(obj(lucky={"type": "array", "items": {"type": "integer"}}), "my lucky numbers are 7, 13 and forty two") == {"lucky": [7, 13, 42]}
    assert read(obj(days={"type": "array", "items": {"type": "string", "format": "date"}}), "the days are tomorrow and May 20th") == {
        "days": ["2026-05-15", "2026-05-20"]
    }


def test_nested_objects_by_their_sub_properties() -> None:
    schema = obj(
        customer={"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}},
        address={"type": "object", "properties": {"city": {"type": "string"}, "zip": {"type": "string"}}},
    )
    assert read(schema, "My name is Ada, I'm 36, I live in Dublin and my zip is D02") == {
        "customer": {"name": "Ada", "age": 36},
        "address": {"city": "Dublin", "zip": "D02"},
    }
    assert [".".join(leaf.path) for leaf in leaves(schema)] == ["customer.name", "customer.age", "address.city", "address.zip"]


def test_a_bare_answer_fills_the_one_field_asked_for() -> None:
    schema = obj(age={"type": "integer"}, location={"type": "string"}, notes={"type": "string"})
    assert read(schema, "Chicago") == {}
    assert read(schema, "Chicago", expecting=["location"]) == {"location": "Chicago"}
    assert read(schema, "sure, it's Springfield", expecting=["location"]) == {"location": "Springfield"}
    assert read(schema, "please call after five", expecting=["notes"]) == {"notes": "please call after five"}
    assert read(schema, "I'd rather not say.", expecting=["location"]) == {}
    assert read(schema, "Not telling you.", expecting=["location"]) == {}


def test_labelled_answers_use_the_field_name_or_its_description() -> None:
    schema = obj(acct={"type": "string", "description": "The customer's account number."}, notes={"type": "string"})
    assert read(schema, "my account number is AB-1234, and my notes: call back later") == {"acct": "AB-1234", "notes": "call back later"}


def test_extraction_is_deterministic_and_types_read_as_a_validator_knows_them() -> None:
    schema = obj(age={"type": "integer"}, location={"type": "webhook"}, tags={"type": "array", "items": {"type": ["thing", "null"]}})
    text = "I'm 30 and I live in Austin"
    assert read(schema, text) == read(schema, text) == {"age": 30, "location": "Austin"}
    assert normalized(schema)["properties"]["location"] == {"type": "string"}
    assert normalized(schema)["properties"]["tags"]["items"] == {"type": ["string", "null"]}


def test_spoken_numbers_keep_their_spans() -> None:
    text = "forty-two, 1,200 and three point one four"
    assert [(text[n.start:n.end], n.value) for n in spoken.numbers(text)] == [("forty-two", 42), ("1,200", 1200), ("three point one four", 3.14)]
