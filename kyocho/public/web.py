"""What the pages of every audience share: a domain NotFound becomes the HTTP 404 page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from kyocho.core.errors import NotFound

View = Callable[..., HttpResponse]


def not_found_as_404(view: View) -> View:
    """Queries raise NotFound for what the actor may not see; a page answers that with a plain 404."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from error

    return wrapper
