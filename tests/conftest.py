import multiprocessing

# Processes started from tests (embedded workers, Daphne) must be spawned, not forked: a fork of
# a process that has run asyncio and asgiref threads is unsafe (see STACK-NOTES, pitfall 6).
multiprocessing.set_start_method("spawn", force=True)
