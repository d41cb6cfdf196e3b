"""Development and test tooling: private RabbitMQ, PostgreSQL and SMTP servers, and the process supervisor."""
