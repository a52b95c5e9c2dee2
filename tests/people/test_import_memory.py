"""A large file is streamed: the memory a pass needs does not grow with the file.

Peak Python allocations are measured with tracemalloc (not time, not RSS) for a file several
times larger than another; the passes hold one chunk of rows at a time, so both peaks match.
"""

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from revline.people import import_services
from revline.people.models import Contact, ContactImport, ImportStatus

pytestmark = pytest.mark.django_db

SLACK = 2 * 1024 * 1024


def large_size(imp: ContactImport) -> int:
    return Path(imp.file_path).stat().st_size


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def generate(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Email,First name,Last name,Company,Country,Tags\n")
        for i in range(rows):
            bad = "not-an-email" if i % 997 == 0 else f"person{i}@example.com"
            out.write(f'{bad},First{i},Last{i},Company {i % 50},DE,"t{i % 7}, all"\n')
    return path


def peak_bytes(work: Callable[[], None]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def prepared(user, path: Path, rows: int) -> ContactImport:
    generate(path, rows)
    with path.open("rb") as source:
        imp = import_services.contact_import_create(
            actor=user, kind="contacts", file_name=path.name, source=source
        )
    # The worker is called directly below, as it runs in production.
    import_services.contact_import_configure(
        actor=user, contact_import=imp, mapping=imp.mapping, duplicate_policy="skip",
        import_good_rows=True,
    )  # fmt: skip
    return imp


def test_dry_run_memory_does_not_grow_with_the_file(marketer, tmp_path):
    # (the smaller file has 30 chunks: some one-time allocations happen after the tenth)
    small = prepared(marketer, tmp_path / "small.csv", 30_000)
    large = prepared(marketer, tmp_path / "large.csv", 200_000)
    small_peak = peak_bytes(lambda: import_services.contact_import_check(import_id=small.pk))
    large_peak = peak_bytes(lambda: import_services.contact_import_check(import_id=large.pk))
    large.refresh_from_db()
    assert (large.status, large.rows_total, large.rows_bad) == (ImportStatus.CHECKED, 200_000, 201)
    assert len(large.errors) == 201
    # 6.7x the rows, the same memory. The slack (2 MB: one-time allocations such as caches
    # warming up, the error list) is far below what holding the 200,000 rows would take.
    assert large_peak < small_peak * 1.25 + SLACK, (small_peak, large_peak)
    assert large_peak < large_size(large) / 4, (large_peak, large_size(large))


def test_import_memory_does_not_grow_with_the_file(marketer, tmp_path, monkeypatch):
    # (transactions of 500 rows, so that the smaller file has several chunks too)
    monkeypatch.setattr(import_services, "WRITE_CHUNK_ROWS", 500)
    small = prepared(marketer, tmp_path / "small.csv", 2_000)
    large = prepared(marketer, tmp_path / "large.csv", 20_000)
    for imp in (small, large):
        import_services.contact_import_check(import_id=imp.pk)
        import_services.contact_import_start(actor=marketer, contact_import=imp)
    small_peak = peak_bytes(lambda: import_services.contact_import_run(import_id=small.pk))
    large_peak = peak_bytes(lambda: import_services.contact_import_run(import_id=large.pk))
    large.refresh_from_db()
    # The small file's rows are in the large one too: they are skipped, the rest created
    # (rows 0, 997, 1994, ... are bad: 3 of the small file, 21 of the large)
    assert (large.status, large.rows_created, large.rows_skipped) == ("done", 17_982, 1_997)
    assert Contact.objects.count() == 20_000 - 21
    assert large_peak < small_peak * 1.25 + SLACK, (small_peak, large_peak)
