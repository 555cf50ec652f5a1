"""The app's widgets: the set-up form, the results view and its charts."""
