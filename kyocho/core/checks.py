"""``kyocho check --deploy`` (Django's system checks) also lists what makes this configuration unsafe in
production, the same list that stops a ``KYOCHO_ENV=production`` process from starting."""

from __future__ import annotations

from typing import Any

from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def production_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from kyocho import settings as kyocho_settings

    return [checks.Error(problem, id="kyocho.E001") for problem in kyocho_settings.check_production()]
