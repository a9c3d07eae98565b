"""A client generated from the official Open API 1.5.0 document, unchanged, calls the four customer
reads against a real ``studio-comms serve`` and reads every answer into its own models.

The generator (openapi-python-client, pinned in ``codegen-requirements.txt``) runs in its own venv,
made by ``make install``; the official document is read where ``fuzz/run.py`` reads it, never copied
into the repository. Without either the test is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from studio_comms.db.database import Database
from tests.conftest import FixedClock
from tests.factories import World, make_customer
from tests.servers import serve_process

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / ".venv-codegen" / "bin" / "openapi-python-client"
SPEC_NAME = Path("shared/reference/magicline-official/openapi-1.5.0.json")
PACKAGE = "magicline_official_client"


def official_spec() -> Path | None:
    given = os.environ.get("STUDIO_COMMS_OFFICIAL_SPEC")
    candidates = [Path(given)] if given else []
    candidates += [ROOT.parent / SPEC_NAME, ROOT.parents[1] / SPEC_NAME, Path("/work") / SPEC_NAME]
    return next((path for path in candidates if path.is_file()), None)


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what}: required under CI")
    pytest.skip(f"{what} (run make install; the official spec lives in ../shared/reference)")


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    spec = official_spec()
    if spec is None:
        _missing("the official spec is not there")
    if not GENERATOR.is_file():
        _missing(f"{GENERATOR} is not installed")
    assert spec is not None
    out = tmp_path_factory.mktemp("official-client")
    config = out / "config.yaml"
    # No post hooks: the generated code is used as generated (they would only format it).
    config.write_text(f"post_hooks: []\nproject_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\n")
    generated = subprocess.run(
        [
            *(str(GENERATOR), "generate", "--path", str(spec), "--config", str(config)),
            *("--meta", "none", "--output-path", str(out / PACKAGE)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_official_client_calls_the_customer_reads_unchanged(
    official: ModuleType,
    tmp_path: Path,
    database_url: str,
    db: Database,
    clock: FixedClock,
    committed_world: World,
) -> None:
    with db.transaction() as tx:
        make_customer(
            tx,
            committed_world.studio_a,
            42,
            now=clock.now,
            customerNumber="1-12345",
            status="PROSPECT",
            phoneNumber="+4915112345678",
            language="de",
        )
        for customer_id in range(100, 160):
            make_customer(tx, committed_world.studio_a, customer_id, now=clock.now)
    customers = module("api.customers")
    models = module("models")
    types = module("types")
    with serve_process(tmp_path, database_url) as server:
        client = official.Client(base_url=server.base, headers={"X-API-KEY": committed_world.key_a})

        erika = importlib.import_module(f"{customers.__name__}.get_customer_by_id").sync(
            customer_id=42, client=client
        )
        assert isinstance(erika, models.Customer)
        assert (erika.id, erika.customer_number, erika.first_name) == (42, "1-12345", "Erika")
        assert erika.status == models.CustomerStatus.PROSPECT
        assert erika.access_refusal is False
        assert erika.phone_private_mobile == "+4915112345678"
        assert erika.preferred_language.language_code == "de"
        assert erika.studio_id == committed_world.studio_a
        # What we do not hold is unset, not None or invented.
        assert isinstance(erika.date_of_birth, types.Unset)
        assert isinstance(erika.card_numbers, types.Unset)
        assert erika.additional_properties == {}

        get_customers = importlib.import_module(f"{customers.__name__}.get_customers")
        seen: list[int] = []
        offset: Any = types.UNSET
        while True:
            page = get_customers.sync(client=client, slice_size=50, offset=offset)
            assert isinstance(page, models.CustomerSlicedResult)
            seen += [customer.id for customer in page.result]
            offset = page.offset
            if not page.has_next:
                break
        assert seen == [1, 2, 3, *range(100, 160)]
        prospects = get_customers.sync(
            client=client, customer_status=models.GetCustomersCustomerStatus.PROSPECT
        )
        assert [customer.id for customer in prospects.result] == [42]

        get_customer_by = importlib.import_module(f"{customers.__name__}.get_customer_by")
        by_number = get_customer_by.sync(client=client, customer_number="1-12345")
        assert isinstance(by_number, models.Customer)
        assert by_number.id == 42

        search = importlib.import_module(f"{customers.__name__}.search_customers")
        found = search.sync(
            client=client, body=models.CustomerSearchRequest(first_name="eri", last_name="muster4")
        )
        assert [customer.id for customer in found] == [42]

        # Errors arrive as the official ErrorResponse.
        missing = importlib.import_module(f"{customers.__name__}.get_customer_by_id").sync_detailed(
            customer_id=999, client=client
        )
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.ErrorResponse)
        assert missing.parsed.error_code == "CUSTOMER_NOT_FOUND"
        nothing = search.sync_detailed(client=client, body=models.CustomerSearchRequest())
        assert nothing.status_code == 400
        assert nothing.parsed.error_code == "SEARCH_CRITERIA_MISSING"
