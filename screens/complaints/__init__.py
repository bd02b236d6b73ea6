"""Complaints (客户投诉): the list with the escalations to the supervisors (F6), and the form."""
