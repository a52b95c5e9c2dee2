"""Product pages for the team, and the public order page a 'buy now' CTA leads to."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from revline.campaigns.creative_selectors import creative_for_public_key
from revline.campaigns.models import Creative, CtaAction
from revline.core import permissions
from revline.core.forms import add_service_errors
from revline.core.listing import Column, build_listing
from revline.core.models import User
from revline.core.ratelimit import public_rate_limit
from revline.tracking.services import parse_visitor_id
from revline.tracking.views import VISITOR_COOKIE, request_info, set_visitor_cookie

from . import catalog_services, selectors, services
from .forms import OrderForm, ProductForm
from .models import Product

PRODUCT_COLUMNS = [
    Column("name", "Product", "name"),
    Column("sku", "SKU", "sku"),
    Column("price", "List price", "price"),
    Column("billing", "Billing", "billing"),
    Column("status", "Status", "is_active"),
    Column("orders", "Orders", "order_count"),
    Column("revenue", "Order revenue", "order_revenue"),
]
STATUSES = [("active", "Active"), ("inactive", "Inactive")]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    permissions.require(services.can_view_products(user))
    status = request.GET.get("status", "")
    listing = build_listing(
        request,
        selectors.products_with_numbers(status=status),
        columns=PRODUCT_COLUMNS,
        search_fields=("name", "sku", "description"),
        filters={"currency": "currency"},
        default_sort="name",
    )
    context = {
        "listing": listing,
        "statuses": STATUSES,
        "currencies": selectors.product_currencies(),
        "filtered": any(listing.params.get(k) for k in ("q", "status", "currency")),
        "can_manage": services.can_manage_products(user),
    }
    return render(request, "quotes/product_list.html", context)


def _product_form_page(
    request: HttpRequest, form: ProductForm, product: Product | None, status: int = 200
) -> HttpResponse:
    return render(
        request, "quotes/product_form.html", {"form": form, "product": product}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    permissions.require(services.can_manage_products(actor), services.MANAGERS_ONLY)
    if request.method != "POST":
        return _product_form_page(request, ProductForm(initial=ProductForm.initial_for(None)), None)
    form = ProductForm(request.POST)
    if form.is_valid():
        try:
            product = catalog_services.product_create_priced(actor=actor, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Product “{product.name}” created.")
            return redirect("quotes:products")
    return _product_form_page(request, form, None, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _user(request)
    permissions.require(services.can_manage_products(actor), services.MANAGERS_ONLY)
    product = get_object_or_404(Product, pk=pk)
    if request.method != "POST":
        form = ProductForm(initial=ProductForm.initial_for(product))
        return _product_form_page(request, form, product)
    form = ProductForm(request.POST)
    if form.is_valid():
        try:
            updated = catalog_services.product_update_priced(
                actor=actor, product=product, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Product “{updated.name}” saved.")
            return redirect("quotes:products")
    return _product_form_page(request, form, product, status=400)


def _order_creative(key: str) -> Creative:
    creative = creative_for_public_key(key, action=CtaAction.BUY_NOW)
    if creative is None:
        raise Http404("Unknown order page")
    return creative


def _order_page(
    request: HttpRequest, creative: Creative, form: OrderForm, key: str, status: int = 200
) -> HttpResponse:
    product = creative.product
    if product is None or not product.is_active:
        return render(request, "quotes/order_unavailable.html", {"creative": creative}, status=410)
    return render(
        request,
        "quotes/order_page.html",
        {"creative": creative, "product": product, "form": form, "idempotency_key": key},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@never_cache
@public_rate_limit("order")
def buy(request: HttpRequest, key: str) -> HttpResponse:
    creative = _order_creative(key)
    if request.method != "POST":
        key = services.order_form_key(creative=creative)
        return _order_page(request, creative, OrderForm(initial={"quantity": 1}), key)
    form = OrderForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.order_place(
                creative=creative,
                signed_key=data["idempotency_key"],
                quantity=data["quantity"],
                buyer=services.Buyer(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    company_name=data["company_name"],
                ),
                visitor_id=parse_visitor_id(request.COOKIES.get(VISITOR_COOKIE)),
                info=request_info(request),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            response = redirect("quotes:buy_done", key=key, ref=selectors.order_ref(result.order))
            if result.visitor_id is not None:
                set_visitor_cookie(response, result.visitor_id)
            return response
    # The same key again, so a retry stays one order; a fresh one when it was refused.
    key = request.POST.get("idempotency_key", "")[:200]
    if form.has_error("idempotency_key"):
        key = services.order_form_key(creative=creative)
    return _order_page(request, creative, form, key, status=400)


@require_GET
@never_cache
@public_rate_limit("order")
def buy_done(request: HttpRequest, key: str, ref: str) -> HttpResponse:
    creative = _order_creative(key)
    order = selectors.order_for_ref(creative=creative, ref=ref)
    if order is None:
        raise Http404("Unknown order")
    return render(request, "quotes/order_done.html", {"creative": creative, "order": order})
