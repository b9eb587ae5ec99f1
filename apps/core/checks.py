"""Deployment checks (`manage.py check --deploy`) for what Django's own do not cover."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def personal_data_keys(app_configs, **kwargs):
    """The public development keys of base.py must never encrypt real personal data."""
    from .pii import DEVELOPMENT_INDEX_KEY, DEVELOPMENT_KEYS

    problems = []
    if any(key in DEVELOPMENT_KEYS for key in settings.PII_ENCRYPTION_KEYS):
        problems.append(checks.Error("PII_ENCRYPTION_KEYS holds the public development key.", id="core.E001"))
    if settings.PII_BLIND_INDEX_KEY == DEVELOPMENT_INDEX_KEY:
        problems.append(checks.Error("PII_BLIND_INDEX_KEY is the public development key.", id="core.E002"))
    return problems


@checks.register(checks.Tags.security, deploy=True)
def sandboxes_off(app_configs, **kwargs):
    if settings.SANDBOX_ENABLED:
        return [checks.Error("SANDBOX_ENABLED serves fake payment and message providers.", id="core.E003")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def rate_limits_on(app_configs, **kwargs):
    if not settings.RATE_LIMITS.get("ENABLED", True):
        return [checks.Warning("RATE_LIMITS_ENABLED is off: no sign-in lock, no API limits.", id="core.W001")]
    return []
