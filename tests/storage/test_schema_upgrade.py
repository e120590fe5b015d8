

def test_tables_are_upgraded_even_when_the_version_was_already_moved(db_url):
    """A process that registered only some layers' tables may have recorded version 2; the
    next process, with every table, still brings the rest up to date."""
    create_version_1(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(schema_meta.update().values(value=str(SCHEMA_VERSION)))
    engine.dispose()
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            found = inspect(conn)
            columns = {c["name"]: c["type"] for c in found.get_columns("runtime_outbox")}
        assert NEW_COLUMNS <= set(columns)
        if db.is_postgres:
            assert isinstance(columns["chat_id"], Text)
    finally:
        db.dispose()
