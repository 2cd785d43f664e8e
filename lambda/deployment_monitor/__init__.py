"""Reports whether a stack update really switched the endpoint to the config it declares."""
