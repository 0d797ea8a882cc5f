-- The customer a hold is for, when the caller named one (a flash-sale buyer, a basket's shopper). It is part of
-- the hold's movement so that the binding survives a restart: the position is the fold of the ledger. Idempotent.
ALTER TABLE oms_stock_ledger ADD COLUMN IF NOT EXISTS customer_id text NULL;
