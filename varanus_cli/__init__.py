"""`varanus`: Komodo's API from the command line, over Varanus's HTTP gateway."""
