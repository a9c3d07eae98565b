"""`studio-comms customers import`: all rows or none."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.cli.helpers import (
    CUSTOMER,
    UNKNOWN_STUDIO,
    assert_clean_exit,
    invoke,
    make_studio,
    squashed,
)


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["customerId,firstName,lastName,email,phoneNumber,language", *rows]) + "\n")
    return path


def test_customers_import_imports_every_row(
    runner: CliRunner, tmp_path: Path, created_studios: list[int], committed_client: TestClient
) -> None:
    studio_id = make_studio(runner, created_studios)
    file = write_csv(
        tmp_path / "customers.csv",
        [
            "1,Erika,Mustermann,erika@example.org,+4915112345671,de",
            "2,Max,Mustermann,,,",
            "3,Jane,Doe,jane@example.org,,en",
        ],
    )
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 0)
    assert "Imported 3 customers (3 new, 0 updated)" in result.output

    erika = committed_client.get(CUSTOMER.format(studio_id, 1))
    assert erika.status_code == 200
    assert erika.json() == {
        "customerId": 1,
        "firstName": "Erika",
        "lastName": "Mustermann",
        "email": "erika@example.org",
        "phoneNumber": "+4915112345671",
        "language": "de",
        "status": "MEMBER",
    }
    assert committed_client.get(CUSTOMER.format(studio_id, 2)).json() == {
        "customerId": 2,
        "firstName": "Max",
        "lastName": "Mustermann",
        "status": "MEMBER",
    }
    assert committed_client.get(CUSTOMER.format(studio_id, 3)).json()["language"] == "en"

    again = write_csv(tmp_path / "again.csv", ["3,Jane,Smith,,,", "4,New,Member,,,"])
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(again))
    assert_clean_exit(result, 0)
    assert "Imported 2 customers (1 new, 1 updated)" in result.output
    assert committed_client.get(CUSTOMER.format(studio_id, 3)).json() == {
        "customerId": 3,
        "firstName": "Jane",
        "lastName": "Smith",
        "status": "MEMBER",
    }


@pytest.mark.parametrize(
    ("bad_row", "line"),
    [
        ("2,Max,Mustermann,not-an-email,,", 3),
        ("2,Max,,max@example.org,,", 3),
        ("0,Max,Mustermann,,,", 3),
        ("abc,Max,Mustermann,,,", 3),
        ("2,Max,Mustermann,,0151 123,", 3),
    ],
    ids=["bad-email", "no-last-name", "zero-id", "non-numeric-id", "bad-phone"],
)
def test_customers_import_with_a_bad_row_imports_nothing(
    runner: CliRunner,
    tmp_path: Path,
    created_studios: list[int],
    committed_client: TestClient,
    bad_row: str,
    line: int,
) -> None:
    studio_id = make_studio(runner, created_studios)
    file = write_csv(tmp_path / "c.csv", ["1,Erika,Mustermann,erika@example.org,,", bad_row, "3,Jane,Doe,,,"])
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 1)
    assert f"{file}:{line}:" in squashed(result.output)
    for customer_id in (1, 2, 3):
        response = committed_client.get(CUSTOMER.format(studio_id, customer_id))
        assert response.status_code == 404
        assert response.json()["errorCode"] == "CUSTOMER_NOT_FOUND"


@pytest.mark.parametrize(
    "raw_id", ["1_0", "+5", " 7", "\u0663"], ids=["underscore", "plus", "space", "arabic"]
)
def test_customers_import_refuses_non_canonical_ids(
    runner: CliRunner, tmp_path: Path, created_studios: list[int], committed_client: TestClient, raw_id: str
) -> None:
    """As on the HTTP paths, an id is plain decimal digits: Python's int() also reads these."""
    studio_id = make_studio(runner, created_studios)
    file = write_csv(tmp_path / "c.csv", ["1,Erika,Mustermann,,,", f'"{raw_id}",Max,Mustermann,,,'])
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 1)
    assert f"{file}:3:" in squashed(result.output)
    assert committed_client.get(CUSTOMER.format(studio_id, 1)).status_code == 404


def test_customers_import_reports_a_row_containing_markup_cleanly(
    runner: CliRunner, tmp_path: Path, created_studios: list[int], committed_client: TestClient
) -> None:
    """A bad value that looks like Rich markup must still give the line, not a traceback."""
    studio_id = make_studio(runner, created_studios)
    file = write_csv(tmp_path / "c.csv", ["1,Erika,Mustermann,erika@example.org,,", "2,Max,Mu,[/x],,"])
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 1)
    assert f"{file}:3:" in squashed(result.output)
    assert committed_client.get(CUSTOMER.format(studio_id, 1)).status_code == 404


def test_customers_import_into_unknown_studio_fails(runner: CliRunner, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "c.csv", ["1,Erika,Mustermann,,,"])
    result = invoke(runner, "customers", "import", "--studio", str(UNKNOWN_STUDIO), str(file))
    assert_clean_exit(result, 1)
    assert "STUDIO_NOT_FOUND" in result.output


def test_customers_import_of_a_missing_file_is_a_usage_error(
    runner: CliRunner, tmp_path: Path, created_studios: list[int]
) -> None:
    studio_id = make_studio(runner, created_studios)
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(tmp_path / "none.csv"))
    assert result.exit_code == 2
    assert "none.csv" in squashed(result.output)


def test_customers_import_takes_customer_numbers_and_statuses(
    runner: CliRunner, tmp_path: Path, created_studios: list[int], committed_client: TestClient
) -> None:
    studio_id = make_studio(runner, created_studios)
    file = tmp_path / "numbers.csv"
    file.write_text(
        "customerId,firstName,lastName,customerNumber,status\n1,Erika,M,1-100,PROSPECT\n2,Max,M,,\n"
    )
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 0)
    erika = committed_client.get(CUSTOMER.format(studio_id, 1)).json()
    assert (erika["customerNumber"], erika["status"]) == ("1-100", "PROSPECT")
    max_ = committed_client.get(CUSTOMER.format(studio_id, 2)).json()
    assert "customerNumber" not in max_
    assert max_["status"] == "MEMBER"


@pytest.mark.parametrize(
    "rows",
    [
        ["1,Erika,M,1-100,MEMBER", "2,Max,M,1-100,MEMBER"],  # one number for two customers
        ["1,Erika,M,1-100,MEMBER", "2,Max,M,1-101,CHAMPION"],  # not an official status
    ],
    ids=["duplicate-number", "bad-status"],
)
def test_customers_import_with_a_bad_number_or_status_imports_nothing(
    runner: CliRunner,
    tmp_path: Path,
    created_studios: list[int],
    committed_client: TestClient,
    rows: list[str],
) -> None:
    studio_id = make_studio(runner, created_studios)
    file = tmp_path / "numbers.csv"
    file.write_text("\n".join(["customerId,firstName,lastName,customerNumber,status", *rows]) + "\n")
    result = invoke(runner, "customers", "import", "--studio", str(studio_id), str(file))
    assert_clean_exit(result, 1)
    assert f"{file}:3:" in squashed(result.output)
    assert committed_client.get(CUSTOMER.format(studio_id, 1)).status_code == 404
