"""Issue 11, smaller items: the 404 page is the product's own (with DEBUG on too, as `make demo` runs),
a server error shows the product's page without a traceback, a favicon, and the API schema readable in
the browser (Swagger UI from our own static files) for signed-in users only."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.tokens import api_key

pytestmark = pytest.mark.django_db

DJANGO_DEBUG_PAGE = ("Using the URLconf", "technical_404", "DEBUG = True", "Traceback", "urlpatterns")


def _is_product_404(response) -> bool:
    text = response.content.decode()
    return (
        response.status_code == 404
        and "<h1>Not found</h1>" in text
        and "· Initscope</title>" in text
        and not any(marker in text for marker in DJANGO_DEBUG_PAGE)
    )


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_address_gets_the_product_404_page(settings, logged_in_client, debug):
    settings.DEBUG = debug
    response = logged_in_client.get("/no/such/page/")
    assert _is_product_404(response)
    assert "Resolver404" not in response.content.decode(), "no resolver internals"
    assert _is_product_404(Client().get("/no/such/page/")), "signed out too: the URL patterns never show"


@pytest.mark.parametrize("debug", [True, False])
def test_a_view_404_gets_the_product_page_with_its_reason(settings, logged_in_client, debug):
    settings.DEBUG = debug
    response = logged_in_client.get("/pods/no-such-uid/")
    assert _is_product_404(response)
    assert "No Pod with this uid has been seen." in response.content.decode()


def test_api_404s_stay_json(settings, logged_in_client):
    settings.DEBUG = True
    response = logged_in_client.get("/api/v1/pods/no-such-uid")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


def test_a_server_error_shows_the_product_page_without_a_traceback(settings, logged_in_client):
    settings.DEBUG = False
    logged_in_client.raise_request_exception = False
    with mock.patch("pods.selectors.cluster_health", side_effect=RuntimeError("secret-internal-detail")):
        response = logged_in_client.get("/clusters/")
    text = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in text and "· Initscope</title>" in text
    assert "secret-internal-detail" not in text and "Traceback" not in text and "RuntimeError" not in text


def test_every_page_links_the_favicon_and_favicon_ico_leads_to_it(logged_in_client):
    page = logged_in_client.get("/").content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    assert href.endswith("app/img/favicon.svg")
    assert finders.find("app/img/favicon.svg"), "the icon is one of our static files"
    response = Client().get("/favicon.ico")  # browsers ask for it without signing in
    assert response.status_code == 302 and response["Location"] == href


def test_the_schema_needs_an_authenticated_user_session_or_token(user):
    assert Client().get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 401
    token = api_key(user)
    response = Client().get(
        "/api/schema/", HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 200 and response.json()["info"]["title"] == "Initscope API"


def test_the_schema_is_readable_in_the_browser_from_our_own_static_files(logged_in_client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = logged_in_client.get("/api/schema/", HTTP_ACCEPT=browser)
    assert response.status_code == 302 and response["Location"] == "/api/schema/ui/"
    page = logged_in_client.get("/api/schema/ui/", HTTP_ACCEPT=browser)
    assert page.status_code == 200
    text = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', text)
    assets = [s for s in sources if "swagger-ui" in s]
    assert assets and all(s.startswith("/static/drf_spectacular_sidecar/") for s in assets), sources
    assert not [s for s in sources if s.startswith(("http:", "https:", "//"))], "never a CDN"
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is a static file of ours"
    assert "/api/schema/" in text, "the UI reads the schema the API serves"
    as_yaml = logged_in_client.get("/api/schema/?format=yaml", HTTP_ACCEPT=browser)
    assert as_yaml.status_code == 200 and b"openapi:" in as_yaml.content


def test_the_schema_page_needs_a_login(settings):
    response = Client().get("/api/schema/ui/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
