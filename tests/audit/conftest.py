from tests.accounts.conftest import member  # noqa: F401  the same fixture
