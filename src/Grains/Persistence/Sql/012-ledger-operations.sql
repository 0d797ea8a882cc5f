-- The physical event a stock movement records (a fulfilment's shipment, receipt, collection, write-off), so a
-- position replayed from its ledger still recognises a retried report. Null for every other movement. Idempotent.
ALTER TABLE oms_stock_ledger ADD COLUMN IF NOT EXISTS operation text NULL;
