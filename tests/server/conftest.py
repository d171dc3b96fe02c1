"""Server tests reuse the per-test PostgreSQL schema fixture of the storage tests."""

from tests.storage.conftest import pg_url  # noqa: F401 - a fixture
