import pytest


@pytest.fixture(scope="session")
def spark():
    from innocredit.batch.spark import spark_session

    session = spark_session("local[2]", app_name="innocredit-tests")
    yield session
    session.stop()
