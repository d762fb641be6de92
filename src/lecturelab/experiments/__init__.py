"""One module per claim of CLAIMS.md, grouped by lecture. Importing registers them."""
