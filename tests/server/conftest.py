"""Server tests reuse the storage tests' per-test PostgreSQL schema and the SMS tests' runtime."""

from tests.sms.conftest import sms_database_url, sms_runtime  # noqa: F401 - fixtures
from tests.storage.conftest import pg_url  # noqa: F401 - a fixture
