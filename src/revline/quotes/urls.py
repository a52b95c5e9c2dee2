from django.urls import path

from revline.sales import booking_views

from . import catalog_views, public_views, quote_views, views

app_name = "quotes"
urlpatterns = [
    path("products/", views.product_list, name="products"),
    path("products/new", views.product_create, name="product_create"),
    path("products/<int:pk>/edit", views.product_edit, name="product_edit"),
    path("products/price-books/", catalog_views.price_books, name="price_books"),
    path("products/price-books/new", catalog_views.price_book_edit, name="price_book_create"),
    path("products/price-books/<int:pk>/", catalog_views.price_book_edit, name="price_book"),
    path("products/exchange-rates/", catalog_views.exchange_rates, name="exchange_rates"),
    # Quotes on deals.
    path("quotes/deals/<int:pk>/", quote_views.deal_quotes_panel, name="deal_quotes_panel"),
    path("quotes/new", quote_views.quote_new, name="quote_new"),
    path("quotes/approvals/", quote_views.approvals, name="approvals"),
    path("quotes/approvals/<int:pk>/decide", quote_views.approval_decide, name="approval_decide"),
    path("quotes/<int:pk>/", quote_views.quote_detail, name="quote"),
    path(
        "quotes/<int:pk>/versions/<int:number>/save", quote_views.version_save, name="version_save"
    ),
    path(
        "quotes/<int:pk>/versions/<int:number>/request-approval",
        quote_views.version_request_approval,
        name="version_request_approval",
    ),
    path(
        "quotes/<int:pk>/versions/<int:number>/send", quote_views.version_send, name="version_send"
    ),
    path(
        "quotes/<int:pk>/versions/<int:number>/revise",
        quote_views.version_revise,
        name="version_revise",
    ),
    path("quotes/<int:pk>/versions/<int:number>/pdf", quote_views.version_pdf, name="version_pdf"),
    # Public pages (this module is mounted at the site root).
    path("q/<str:token>", public_views.public_quote, name="public_quote"),
    path("q/<str:token>/pdf", public_views.public_quote_pdf, name="public_quote_pdf"),
    path("book/<str:key>", booking_views.book, name="book"),
    path("book/<str:key>/booked/<str:ref>", booking_views.book_done, name="book_done"),
    path("buy/<str:key>", views.buy, name="buy"),
    path("buy/<str:key>/thanks/<str:ref>", views.buy_done, name="buy_done"),
]
