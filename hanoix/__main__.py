from hanoix.cli.main import run

run()
