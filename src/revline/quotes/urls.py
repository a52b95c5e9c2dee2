from django.urls import path

from revline.sales import booking_views

from . import views

app_name = "quotes"
urlpatterns = [
    path("products/", views.product_list, name="products"),
    path("products/new", views.product_create, name="product_create"),
    path("products/<int:pk>/edit", views.product_edit, name="product_edit"),
    # Public CTA pages (this module is mounted at the site root).
    path("book/<str:key>", booking_views.book, name="book"),
    path("book/<str:key>/booked/<str:ref>", booking_views.book_done, name="book_done"),
    path("buy/<str:key>", views.buy, name="buy"),
    path("buy/<str:key>/thanks/<str:ref>", views.buy_done, name="buy_done"),
]
