"""Two-factor on and off are recorded in the audit log, and the users page shows who has it."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from revline.audit.models import AuditEntry
from revline.core.twofactor_services import (
    twofactor_begin,
    twofactor_confirm,
    twofactor_disable,
)

from ..conftest import PASSWORD

pyotp = pytest.importorskip("pyotp")


def two_factor_entries(user) -> list[tuple[str, dict]]:
    return list(
        AuditEntry.objects.filter(object_type="core.user", object_id=str(user.pk))
        .exclude(action="create")
        .order_by("pk")
        .values_list("action", "changes")
    )


def enable(user) -> None:
    device = twofactor_begin(user=user)
    twofactor_confirm(user=user, code=pyotp.TOTP(device.secret).now())


@pytest.mark.django_db
def test_turning_two_factor_on_and_off_is_audited(rep_a):
    # When two-factor is turned on
    enable(rep_a)
    # Then
    assert two_factor_entries(rep_a) == [("setting_change", {"two_factor": [False, True]})]
    entry = AuditEntry.objects.filter(object_type="core.user").latest("pk")
    assert (entry.actor_id, entry.object_label) == (rep_a.pk, "Rep_A")
    # When it is turned off (a code of the next time step: one code works once)
    device = rep_a.two_factor
    later = timezone.now() + timedelta(seconds=31)
    with time_machine.travel(later, tick=False):
        twofactor_disable(user=rep_a, password=PASSWORD, code=pyotp.TOTP(device.secret).now())
    # Then
    assert two_factor_entries(rep_a)[-1] == ("setting_change", {"two_factor": [True, False]})


@pytest.mark.django_db
def test_a_refused_disable_is_not_audited(rep_a):
    enable(rep_a)
    with pytest.raises(ValidationError):
        twofactor_disable(user=rep_a, password="wrong", code="000000")
    assert len(two_factor_entries(rep_a)) == 1


@pytest.mark.django_db
def test_users_page_has_a_two_factor_column(client, admin_user, rep_a, marketer):
    enable(rep_a)
    client.force_login(admin_user)
    page = client.get("/settings/users/").content.decode()
    assert "<th>2FA</th>" in page
    rows = {
        name: row
        for row in re.findall(r"<tr>.*?</tr>", page, re.S)
        for name in ("rep_a", "marketer", "admin")
        if f'<div class="muted">{name}</div>' in row
    }
    assert "2FA on" in rows["rep_a"]
    assert "2FA on" not in rows["marketer"] and "off" in rows["marketer"]
    assert "2FA on" not in rows["admin"]
