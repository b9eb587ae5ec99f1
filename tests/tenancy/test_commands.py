import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("command", ["verify_wallet", "verify_hands", "archive_hands"])
def test_a_schema_that_names_no_such_tenant_is_an_error(command):
    with pytest.raises(CommandError, match="--schema nowhere: no such club"):
        call_command(command, schema="nowhere")
