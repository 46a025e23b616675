"""Events: past-tense facts published on JetStream (`komodo.event.<kind>.<EventName>`)."""
