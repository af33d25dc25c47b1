"""Alembic migration scripts, shipped inside the package so installs can migrate."""
