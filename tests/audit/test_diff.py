"""The pure part: which fields changed, with secrets masked."""

from revline.audit.diff import MASK, field_changes, is_secret, values_of


def test_only_changed_fields_are_listed_with_old_and_new():
    before = {"name": "Acme", "amount": "100.00", "owner_id": 3}
    after = {"name": "Acme Corp", "amount": "100.00", "owner_id": None}

    assert field_changes(before, after) == {"name": ["Acme", "Acme Corp"], "owner_id": [3, None]}


def test_the_field_list_limits_the_comparison():
    assert field_changes({"a": 1, "b": 1}, {"a": 2, "b": 2}, ["b"]) == {"b": [1, 2]}


def test_no_change_gives_nothing():
    assert field_changes({"a": 1}, {"a": 1}) == {}


def test_secrets_show_only_that_they_changed():
    before = {"password": "md5$old", "digest": "", "name": "x"}
    after = {"password": "md5$new", "digest": "abc123", "name": "x"}

    assert field_changes(before, after) == {"password": [MASK, MASK], "digest": ["", MASK]}


def test_secret_names_are_recognised():
    names = ["password", "digest", "totp_secret", "api_token", "recovery_codes", "name", "email"]
    assert [n for n in names if is_secret(n)] == names[:5]


def test_a_create_lists_non_empty_values_and_masks_secrets():
    snapshot = {"name": "Acme", "phone": "", "owner_id": None, "digest": "abc", "active": False}

    assert values_of(snapshot, created=True) == {
        "active": [None, False],
        "digest": [None, MASK],
        "name": [None, "Acme"],
    }
    assert values_of({"name": "Acme"}, created=False) == {"name": ["Acme", None]}


def test_the_inputs_are_not_changed():
    before, after = {"password": "a"}, {"password": "b"}
    field_changes(before, after)
    assert (before, after) == ({"password": "a"}, {"password": "b"})
