-- One database per service that owns one (docs/runbook.md: none reads another's).
CREATE DATABASE registry;
CREATE DATABASE catalog;
CREATE DATABASE settlement;
