"""Tests of crm/trust/: the formula, its reasons, the stored trust health and its recompute."""
