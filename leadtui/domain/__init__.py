"""Pure domain logic: imports neither textual nor tinydb."""
