"""Builder of the Macao TIP responses archive: load and validate, model, render, write."""
