from django.core import checks

from .roles import catalogue_problems


@checks.register()
def role_catalogue(app_configs, **kwargs):
    """The role catalogue names only permissions and resources its vocabulary has."""
    return [checks.Error(problem, id="accounts.E001") for problem in catalogue_problems()]
