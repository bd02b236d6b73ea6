"""The outbound call desk's screens: the list of calls to make and the call form."""
