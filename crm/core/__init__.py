"""The ground floor: imports only the standard library and Django."""
