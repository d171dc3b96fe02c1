"""Schemas the deployment tests validate against, kept here so the checks need no network.

compose-spec.json: the Compose Specification's JSON schema (https://github.com/compose-spec/compose-spec,
schema/compose-spec.json, Apache License 2.0, Copyright 2020 The Compose Specification Authors), as bundled
in the npm package dclint 3.1.0 (schemas/compose.schema.json). Replace it with a newer copy of the same file
when Compose gains keys the deployment uses.
"""

from pathlib import Path

COMPOSE_SCHEMA = Path(__file__).with_name("compose-spec.json")
