"""Pure computation on plain data. Imports no Django, touches no file, reads no clock."""
