"""Long-lived services that turn outside events into leads: the webhook (`http`, ASGI) and
the mailbox watcher (`mail`, IMAP IDLE). Both add leads through `leadtui.service.add_lead`,
the same path as `leadtui add`. Their third-party libraries (the `intake` extra) are
imported only by `http` and `mail`, so `leadtui` itself runs without them."""
