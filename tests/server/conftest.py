"""Server tests reuse the SMS tests' runtime."""

from tests.sms.conftest import sms_database_url, sms_runtime  # noqa: F401 - fixtures
