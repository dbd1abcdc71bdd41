from hanoix.runtime.main import run

run()
