"""After the work: the service record and the crew's report-back."""
