"""Local, wire-faithful fakes of the services aoai-lens talks to or observes."""
