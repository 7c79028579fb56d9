"""Tests of the clients app: accounts, login throttling, the owner stored on journal rows."""
