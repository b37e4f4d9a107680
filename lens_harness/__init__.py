"""What the tests and the benches both run: a lens server in a subprocess
(``lens_process``) and Azure at the wire around it: the Log Analytics query API
(``log_analytics``, its tables and rows in the shapes Azure returns) and the Azure Monitor
Metrics REST API (``monitor_metrics``). Imports nothing of ours: it speaks HTTP only."""
