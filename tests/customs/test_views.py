def test_a_reporter_cannot_download_the_reconciliation_even_of_their_own_enterprise(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.reporter)
    for url in ("/export/reconciliation.csv", "/export/customs_exports.csv", "/export/reconciliation.xlsx"):
        assert client.get(url).status_code == 404
