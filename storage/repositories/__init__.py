"""Repositories, one module per aggregate: the ports of ``callcenter.ports`` on a session."""
