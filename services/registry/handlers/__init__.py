"""Bus handlers of the registry: thin functions that validate nothing themselves and call the stores."""
