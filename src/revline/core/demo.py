DEMO_LOGINS: list[tuple[str, str, str]] = []


def database_is_empty() -> bool:
    from revline.core.models import User

    return not User.objects.exists()


def demo_build(*, progress: bool = False) -> None:
    raise NotImplementedError
