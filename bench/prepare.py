"""Run by bench/run.py in its own process: set up the bench database, or count what it holds.

python -m bench.prepare setup   migrate, create a campaign, a link and a returning visitor
python -m bench.prepare count   print how many touchpoints were recorded
"""

import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from revline.campaigns.services import campaign_create
    from revline.tracking.models import Touchpoint
    from revline.tracking.services import link_create, visitor_touch

    if argv == ["count"]:
        print(json.dumps({"touchpoints": Touchpoint.objects.count()}))
        return
    if argv != ["setup"]:
        raise SystemExit(__doc__)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    campaign = campaign_create(actor=None, name="Bench", channel="paid_search", status="active")
    link = link_create(
        actor=None, campaign=campaign, destination_url="https://www.example.com/landing?ref=bench"
    )
    visitor = visitor_touch(visitor_id=None, at=timezone.now())
    print(json.dumps({"token": link.token, "visitor": str(visitor.id)}))


if __name__ == "__main__":
    main(sys.argv[1:])
