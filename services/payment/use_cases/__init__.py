"""Payment's use cases, one function per thing the service does, each over the database's unit of work
(`db.unit()`): assessment (a fee request at receipt), paying (attempts, the fee, the receipt), callbacks (the
gateway's signed result), refunds (and their settlement) and reconciliation. Rules live in domain/, SQL in
adapters/storage.py, the gateway's HTTP in adapters/gateway.py."""
