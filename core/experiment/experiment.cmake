# Experiments: a finding's fix applied on the runner with consent, recorded in the run store
# before it runs, reverted or kept (core only; the CLI and the GUI drive it).
target_sources(nestscope_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/experiment.cpp ${CMAKE_CURRENT_LIST_DIR}/experiment.h
)
