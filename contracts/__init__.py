"""Varanus contracts: the frozen models every service, the gateway and the CLI share.

`contracts.entities` holds stored documents, `contracts.api.{read,write,execute,internal}` the requests
(each knows its subject and response type), `contracts.events` the events. `contracts.catalog.load_all()`
imports them all.
"""
