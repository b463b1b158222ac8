# A package, so that pytest (default "prepend" import mode) imports this folder's
# test_contract.py as tests.test_contract: the workspace's tests/contract/ has a module of
# the same basename, and both are collected by one `uv run pytest` from the workspace root.
