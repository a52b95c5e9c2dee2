import pytest

from revline.core.models import Role, Team, User
from revline.core.services import user_create
from revline.core.workspace import tracking_rules_clear
from revline.email.rendering import workspace_name_clear
from revline.leads.scoring_services import scoring_rules_clear
from revline.tracking.ingest import lookups_clear

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fresh_cache(settings, request):
    """Each test gets its own empty cache, so rate-limit counters never leak between tests.

    Passwords are hashed with a fast hasher: the production hasher is slow on purpose.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"{alias}:{request.node.nodeid}",
        }
        for alias in ("default", "ratelimit")
    }


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    """Background tasks run as soon as they are enqueued (after the commit, as in production).

    A test of the real worker overrides settings.TASKS with the database backend.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _fresh_memos():
    """Per-process memos of the public endpoints (site origins, campaign lookups) start empty."""
    tracking_rules_clear()
    lookups_clear()
    workspace_name_clear()
    scoring_rules_clear()


@pytest.fixture
def team_a(db) -> Team:
    return Team.objects.create(name="Team A")


@pytest.fixture
def team_b(db) -> Team:
    return Team.objects.create(name="Team B")


def make_user(username: str, role: str, team: Team | None = None) -> User:
    return user_create(
        actor=None,
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        role=role,
        first_name=username.title(),
        team=team,
    )


@pytest.fixture
def admin_user(db) -> User:
    return make_user("admin", Role.ADMIN)


@pytest.fixture
def marketer(db) -> User:
    return make_user("marketer", Role.MARKETER)


@pytest.fixture
def rep_a(team_a) -> User:
    return make_user("rep_a", Role.SALES_REP, team_a)


@pytest.fixture
def rep_b(team_b) -> User:
    return make_user("rep_b", Role.SALES_REP, team_b)


@pytest.fixture
def manager_a(team_a) -> User:
    return make_user("manager_a", Role.SALES_MANAGER, team_a)
