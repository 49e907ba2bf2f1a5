from setuptools import setup

# All configuration is in pyproject.toml; this shim only keeps tools that still run `python setup.py ...` working.
setup()
