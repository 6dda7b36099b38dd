"""The SQLite archive: raw responses, reports and their versions, search, Datasette front end, diff."""
