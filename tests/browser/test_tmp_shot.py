import pytest
from revline.core.workspace import workspace_update
from ..conftest import PASSWORD
pytestmark = pytest.mark.browser
def test_shot(page, live_server, log_in, admin_user):
    workspace_update(actor=admin_user, site_origins="https://www.shop.example\nhttp://localhost:3000", tracking_requires_consent=True)
    log_in("admin", PASSWORD)
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.goto("/settings/workspace/")
    page.get_by_label("Site origins").fill("https://ok.example\nhttps://bad.example/path")
    page.get_by_role("button", name="Save settings").click()
    page.screenshot(path="/tmp/rlprof/ws.png", full_page=True)
