"""The deployment as code: nginx in front of replicas of the app on one PostgreSQL (deploy/topology.py),
the nginx site (deploy/nginx/), systemd units for real servers (deploy/systemd/). `python -m deploy --help`."""
